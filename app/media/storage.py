"""Where photo bytes live, behind one small interface. No Flask here.

LocalStorage (default) writes under a folder; S3Storage talks to any S3-compatible bucket
(boto3, installed only by deployments that use it). make_storage() picks one from the
configuration: PHOTO_STORAGE = "local" | "s3"."""
import os
import re
import tempfile
from typing import Protocol

KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")


class StorageMissing(KeyError):
    """No object under that key."""


class StorageUnavailable(RuntimeError):
    """The storage refused or could not be reached (no such bucket, access denied, network):
    nothing was stored; the caller tells the user to try again later."""


class Storage(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...
    def get(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...
    def keys(self): ...  # every stored key (backups)


def content_key(sha256, suffix=".jpg"):
    """ab/cd/<hash><suffix>: content-addressed, so the same bytes are stored once."""
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}{suffix}"


def check_key(key):
    if not key or not KEY_RE.match(key) or ".." in key.split("/") or key.startswith("/"):
        raise ValueError(f"invalid storage key {key!r}")
    return key


class LocalStorage:
    def __init__(self, root):
        self.root = os.path.abspath(root)

    def _path(self, key):
        path = os.path.abspath(os.path.join(self.root, check_key(key)))
        if not path.startswith(self.root + os.sep):
            raise ValueError(f"invalid storage key {key!r}")
        return path

    def put(self, key, data, content_type="application/octet-stream"):
        path = self._path(key)
        if os.path.exists(path):
            return  # content-addressed: already there
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)  # atomic: a reader never sees half a file
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def get(self, key):
        try:
            with open(self._path(key), "rb") as f:
                return f.read()
        except FileNotFoundError:
            raise StorageMissing(key) from None

    def exists(self, key):
        return os.path.exists(self._path(key))

    def delete(self, key):
        try:
            os.unlink(self._path(key))
        except FileNotFoundError:
            pass

    def keys(self):
        """Every stored key, sorted; temporary files of a put in progress are left out."""
        out = []
        for folder, _dirs, files in os.walk(self.root):
            for name in files:
                if not name.startswith(".tmp-"):
                    out.append(os.path.relpath(os.path.join(folder, name), self.root).replace(os.sep, "/"))
        return sorted(out)


class S3Storage:
    """Any S3-protocol bucket (AWS S3, MinIO, Aliyun OSS, Tencent COS …) through boto3.

    A missing object raises StorageMissing; every other failure (no such bucket, access denied,
    endpoint unreachable) raises StorageUnavailable, never a bare botocore error."""

    MISSING = {"NoSuchKey", "404", "NotFound"}

    def __init__(self, bucket, endpoint_url=None, access_key=None, secret_key=None, region=None, prefix="",
                 connect_timeout=5, read_timeout=30, max_attempts=3, addressing_style="auto"):
        try:
            import boto3
            from botocore.config import Config
        except ImportError:
            raise RuntimeError("PHOTO_STORAGE=s3 needs boto3: pip install boto3") from None
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix else ""
        config = Config(connect_timeout=connect_timeout, read_timeout=read_timeout,
                        retries={"max_attempts": max_attempts, "mode": "standard"},
                        # "auto" is path style for a custom endpoint (MinIO); Aliyun OSS wants "virtual"
                        s3={"addressing_style": addressing_style or "auto"})
        self.client = boto3.client("s3", endpoint_url=endpoint_url or None, aws_access_key_id=access_key or None,
                                   aws_secret_access_key=secret_key or None, region_name=region or None, config=config)

    def _key(self, key):
        return self.prefix + check_key(key)

    def _call(self, key, fn, **kwargs):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return fn(Bucket=self.bucket, **kwargs)
        except ClientError as e:
            code = str(e.response.get("Error", {}).get("Code", ""))
            if key is not None and code in self.MISSING:
                raise StorageMissing(key) from None
            raise StorageUnavailable(f"S3 bucket {self.bucket!r}: {code or e}") from e
        except BotoCoreError as e:  # endpoint unreachable, timeouts, credentials not found
            raise StorageUnavailable(f"S3 bucket {self.bucket!r}: {e}") from e

    def put(self, key, data, content_type="application/octet-stream"):
        self._call(None, self.client.put_object, Key=self._key(key), Body=data, ContentType=content_type)

    def get(self, key):
        from botocore.exceptions import BotoCoreError

        body = self._call(key, self.client.get_object, Key=self._key(key))["Body"]
        try:
            return body.read()
        except BotoCoreError as e:
            raise StorageUnavailable(f"S3 bucket {self.bucket!r}: {e}") from e

    def exists(self, key):
        try:
            self._call(key, self.client.head_object, Key=self._key(key))
            return True
        except StorageMissing:
            # a HEAD answer has no body: a 404 may also mean "no such bucket", which is not "missing"
            self._call(None, self.client.head_bucket)
            return False

    def delete(self, key):
        self._call(None, self.client.delete_object, Key=self._key(key))

    def keys(self):
        """Every key under the prefix (the prefix removed), sorted."""
        out = []
        paginator = self.client.get_paginator("list_objects_v2")
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
                out.extend(obj["Key"][len(self.prefix):] for obj in page.get("Contents", []))
        except (BotoCoreError, ClientError) as e:
            raise StorageUnavailable(f"S3 bucket {self.bucket!r}: {e}") from e
        return sorted(out)


def make_storage(config):
    kind = (config.get("PHOTO_STORAGE") or "local").lower()
    if kind == "local":
        return LocalStorage(os.path.join(config["UPLOAD_DIR"], "photos"))
    if kind == "s3":
        if not config.get("S3_BUCKET"):
            raise RuntimeError("PHOTO_STORAGE=s3 needs S3_BUCKET")
        return S3Storage(config["S3_BUCKET"], config.get("S3_ENDPOINT_URL"), config.get("S3_ACCESS_KEY"),
                         config.get("S3_SECRET_KEY"), config.get("S3_REGION"), config.get("S3_PREFIX", ""),
                         connect_timeout=config.get("S3_CONNECT_TIMEOUT", 5), read_timeout=config.get("S3_READ_TIMEOUT", 30),
                         max_attempts=config.get("S3_MAX_ATTEMPTS", 3),
                         addressing_style=config.get("S3_ADDRESSING_STYLE", "auto"))
    raise RuntimeError(f"unknown PHOTO_STORAGE {kind!r} (local or s3)")
