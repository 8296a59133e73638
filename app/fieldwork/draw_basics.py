"""The parts every draw shares: the error shown to users, the seed, the seeded random stream
(algorithm "v1", described in draws.py) and the checks of rules and populations.

Moved out of draws.py as it was (no Flask, no database)."""
import hashlib
import secrets


class DrawError(ValueError):
    """A rule, population or record that cannot be drawn from; the message is shown to users."""


def new_seed() -> str:
    """A fresh seed: 16 hex characters from the OS's secure random source."""
    return secrets.token_hex(8)


# --------------------------------------------------------------------------- randomness


class SeededStream:
    """Deterministic integers from SHA-256, keyed by (seed, label)."""

    def __init__(self, seed: str, label: str = ""):
        self.key = f"{seed}:{label}"
        self.counter = 0

    def _block(self) -> int:
        digest = hashlib.sha256(f"{self.key}:{self.counter}".encode("utf-8")).digest()
        self.counter += 1
        return int.from_bytes(digest, "big")

    def randbelow(self, n: int) -> int:
        """A uniform integer in [0, n) by rejection sampling on the top bits of each block."""
        if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
            raise DrawError("随机数上限必须是正整数")
        if n == 1:
            return 0
        k = n.bit_length()
        if k > 256:
            raise DrawError("随机数上限过大")
        while True:
            r = self._block() >> (256 - k)
            if r < n:
                return r

    def sample(self, items: list, k: int) -> list:
        """k distinct items in draw order (partial Fisher–Yates on a copy)."""
        pool = list(items)
        if k < 0 or k > len(pool):
            raise DrawError("抽取数量超出范围")
        for i in range(k):
            j = i + self.randbelow(len(pool) - i)
            pool[i], pool[j] = pool[j], pool[i]
        return pool[:k]

    def shuffle(self, items: list) -> list:
        """A shuffled copy (full Fisher–Yates)."""
        return self.sample(items, len(items))


# --------------------------------------------------------------------------- validation helpers


def _positive_int(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise DrawError(f"{what}必须是正整数（当前为 {value!r}）")
    return value


def _check_rule_keys(rule, allowed, kind_name: str) -> dict:
    if rule is None:
        rule = {}
    if not isinstance(rule, dict):
        raise DrawError(f"{kind_name}规则格式不正确")
    unknown = sorted(set(rule) - set(allowed))
    if unknown:
        raise DrawError(f"{kind_name}规则中有未知项：{'、'.join(map(str, unknown))}")
    return rule


def _string_list(value, what: str) -> list:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise DrawError(f"{what}必须是文字列表")
    if len(set(value)) != len(value):
        raise DrawError(f"{what}中有重复项")
    return list(value)


def _check_population_list(population, what: str) -> list:
    if population is None:
        raise DrawError(f"{what}名单为空")
    if not isinstance(population, (list, tuple)):
        raise DrawError(f"{what}名单格式不正确")
    seen = set()
    for item in population:
        if not isinstance(item, dict) or "id" not in item:
            raise DrawError(f"{what}名单中有缺少编号（id）的条目")
        ident = item["id"]
        if isinstance(ident, bool) or not isinstance(ident, (int, str)) or ident == "":
            raise DrawError(f"{what}名单中的编号 {ident!r} 无效")
        key = str(ident)
        if key in seen:
            raise DrawError(f"{what}名单中编号 {key} 重复")
        seen.add(key)
    return sorted(population, key=lambda item: str(item["id"]))
