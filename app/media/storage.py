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


class Storage(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...
    def get(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...


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


class S3Storage:
    def __init__(self, bucket, endpoint_url=None, access_key=None, secret_key=None, region=None, prefix=""):
        try:
            import boto3
        except ImportError:
            raise RuntimeError("PHOTO_STORAGE=s3 needs boto3: pip install boto3") from None
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix else ""
        self.client = boto3.client("s3", endpoint_url=endpoint_url, aws_access_key_id=access_key,
                                   aws_secret_access_key=secret_key, region_name=region)

    def _key(self, key):
        return self.prefix + check_key(key)

    def put(self, key, data, content_type="application/octet-stream"):
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type)

    def get(self, key):
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except self.client.exceptions.NoSuchKey:
            raise StorageMissing(key) from None

    def exists(self, key):
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
            return True
        except Exception:
            return False

    def delete(self, key):
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))


def make_storage(config):
    kind = (config.get("PHOTO_STORAGE") or "local").lower()
    if kind == "local":
        return LocalStorage(os.path.join(config["UPLOAD_DIR"], "photos"))
    if kind == "s3":
        if not config.get("S3_BUCKET"):
            raise RuntimeError("PHOTO_STORAGE=s3 needs S3_BUCKET")
        return S3Storage(config["S3_BUCKET"], config.get("S3_ENDPOINT_URL"), config.get("S3_ACCESS_KEY"),
                         config.get("S3_SECRET_KEY"), config.get("S3_REGION"), config.get("S3_PREFIX", ""))
    raise RuntimeError(f"unknown PHOTO_STORAGE {kind!r} (local or s3)")
