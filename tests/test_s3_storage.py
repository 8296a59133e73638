"""Photos in a bucket: the S3 path of app.media.storage against a real S3-protocol server
(moto's server mode) on loopback, through the upload and serving routes."""
import hashlib
import io
import json
import urllib.request
import uuid

import pytest
from PIL import Image

from app.extensions import db
from app.media.storage import S3Storage, StorageMissing, StorageUnavailable, make_storage
from app.models import ClientOp, Inspection, Photo
from tests.conftest import login, text_of

moto_server = pytest.importorskip("moto.server", reason="moto[server] (requirements-test.txt) is not installed")
boto3 = pytest.importorskip("boto3", reason="boto3 (requirements.txt) is not installed")

REGION = "us-east-1"


@pytest.fixture(scope="module")
def s3_endpoint():
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def admin_client(endpoint, key="testing", secret="testing"):
    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=secret,
                        region_name=REGION)


@pytest.fixture
def bucket(s3_endpoint):
    name = "ddt-" + uuid.uuid4().hex[:12]
    admin_client(s3_endpoint).create_bucket(Bucket=name)
    return name


def use_s3(app, endpoint, bucket, key="testing", secret="testing", prefix="county-photos", style="auto"):
    app.config.update(PHOTO_STORAGE="s3", S3_BUCKET=bucket, S3_ENDPOINT_URL=endpoint, S3_ACCESS_KEY=key,
                      S3_SECRET_KEY=secret, S3_REGION=REGION, S3_PREFIX=prefix, S3_MAX_ATTEMPTS=1,
                      S3_ADDRESSING_STYLE=style)
    app.extensions.pop("ddt_storage", None)
    return make_storage(app.config)


def jpeg(color, w=1200, h=900):
    buf = io.BytesIO()
    Image.new("RGB", (w, h), color).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def upload(client, token, iid, school, raw, key=None):
    return client.post(f"/inspections/{iid}/photos", content_type="multipart/form-data", data={
        "csrf_token": token, "client_uuid": key or str(uuid.uuid4()), "subject_type": "school",
        "subject_id": str(school.id), "item_code": "R5", "taken_at": "2026-11-22T02:31:00Z",
        "photo": (io.BytesIO(raw), "p.jpg")})


def bucket_keys(endpoint, bucket):
    out = admin_client(endpoint).list_objects_v2(Bucket=bucket)
    return sorted(o["Key"] for o in out.get("Contents", []))


def test_upload_read_back_and_rendition_from_the_bucket(app, client, demo, s3_endpoint, bucket):
    store = use_s3(app, s3_endpoint, bucket, style="path")
    assert isinstance(store, S3Storage)
    iid = demo["inspection"].id
    school = demo["inspection"].visits[0].school
    token = login(client, "inspector1")
    resp = upload(client, token, iid, school, jpeg((120, 160, 90)))
    assert resp.status_code == 201, resp.get_data(as_text=True)
    photo = db.session.get(Photo, resp.get_json()["id"])
    # both objects are in the bucket, under the prefix, content-addressed
    assert bucket_keys(s3_endpoint, bucket) == sorted(["county-photos/" + photo.data_key, "county-photos/" + photo.thumb_key])
    head = admin_client(s3_endpoint).head_object(Bucket=bucket, Key="county-photos/" + photo.thumb_key)
    assert head["ContentType"] == "image/jpeg"
    full = client.get(f"/photos/{photo.id}/full.jpg")
    assert full.status_code == 200 and full.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(full.data)).size == (1200, 900)
    assert hashlib.sha256(full.data).hexdigest() == photo.sha256
    thumb = client.get(f"/photos/{photo.id}/thumb.jpg")
    assert thumb.status_code == 200 and max(Image.open(io.BytesIO(thumb.data)).size) <= 480
    # the storage itself: exists, keys, a missing key
    assert store.exists(photo.data_key) and not store.exists("00/00/" + "0" * 64 + ".jpg")
    assert store.keys() == sorted([photo.data_key, photo.thumb_key])
    with pytest.raises(StorageMissing):
        store.get("00/00/" + "0" * 64 + ".jpg")
    # the same UUID again (the outbox retrying) stores nothing new
    key = str(uuid.uuid4())
    assert upload(client, token, iid, school, jpeg((10, 20, 30)), key).status_code == 201
    assert upload(client, token, iid, school, jpeg((10, 20, 30)), key).status_code == 200
    assert len(bucket_keys(s3_endpoint, bucket)) == 4


def test_a_missing_object_is_a_chinese_404_and_the_report_leaves_it_out(app, client, demo, s3_endpoint, bucket):
    from app.reports.collect import collect_report

    use_s3(app, s3_endpoint, bucket)
    iid = demo["inspection"].id
    school = demo["inspection"].visits[0].school
    token = login(client, "inspector1")  # lead of 第一组: may mark evidence
    ids = [upload(client, token, iid, school, jpeg(c)).get_json()["id"] for c in ((200, 30, 30), (30, 30, 200))]
    for pid in ids:
        assert client.post(f"/photos/{pid}/evidence", data={"csrf_token": token}).status_code in (204, 302)
    lost = db.session.get(Photo, ids[0])
    admin_client(s3_endpoint).delete_object(Bucket=bucket, Key="county-photos/" + lost.thumb_key)
    resp = client.get(f"/photos/{lost.id}/thumb.jpg")
    assert resp.status_code == 404 and "照片文件缺失" in text_of(resp)
    assert client.get(f"/photos/{lost.id}/full.jpg").status_code == 200  # the original is still there
    assert client.get(f"/photos/{ids[1]}/thumb.jpg").status_code == 200
    data = collect_report(db.session.get(Inspection, iid), storage=make_storage(app.config))
    kept = db.session.get(Photo, ids[1])
    assert len(data.photos) == 1 and data.photos[0].image == client.get(f"/photos/{kept.id}/thumb.jpg").data


def test_a_bucket_that_does_not_exist_answers_503_in_chinese_and_stores_nothing(app, client, demo, s3_endpoint, bucket,
                                                                               tmp_path):
    iid = demo["inspection"].id
    school = demo["inspection"].visits[0].school
    token = login(client, "inspector1")
    use_s3(app, s3_endpoint, bucket)
    pid = upload(client, token, iid, school, jpeg((1, 2, 3))).get_json()["id"]
    use_s3(app, s3_endpoint, "ddt-no-such-bucket-" + uuid.uuid4().hex[:8])
    # reading: the bucket is gone, which is not "this photo is missing"
    resp = client.get(f"/photos/{pid}/full.jpg")
    assert resp.status_code == 503 and "照片存储暂时无法访问" in text_of(resp)
    assert client.get(f"/photos/{pid}/thumb.jpg", headers={"Accept": "application/json"}).get_json()["error"]
    db.session.execute(db.delete(ClientOp))
    db.session.execute(db.delete(Photo))
    db.session.commit()
    resp = upload(client, token, iid, school, jpeg((90, 90, 90)))
    assert resp.status_code == 503 and resp.headers["Retry-After"]
    assert "照片存储暂时无法访问" in resp.get_json()["error"] and "重新上传" in resp.get_json()["error"]
    assert db.session.scalar(db.select(db.func.count(Photo.id))) == 0
    assert db.session.scalar(db.select(db.func.count(ClientOp.id)).where(ClientOp.kind == "photo")) == 0
    with pytest.raises(StorageUnavailable):
        make_storage(app.config).exists("ab/cd/x.jpg")  # not "missing": the bucket itself is not there

    # a nightly backup cannot reach the bucket: it says so and leaves no half backup behind
    out = tmp_path / "backup"
    result = app.test_cli_runner().invoke(args=["backup", str(out)])
    assert result.exit_code != 0 and "照片存储无法访问，备份未完成" in result.output
    assert not out.exists() and not (tmp_path / "backup.partial").exists()


def _set_auth(endpoint, value):
    """moto's switch for checking signatures and IAM policies (off by default)."""
    req = urllib.request.Request(f"{endpoint}/moto-api/reset-auth", data=str(value).encode(), method="POST",
                                 headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def test_a_bucket_that_refuses_writes_answers_503_and_keeps_nothing_half_stored(app, client, demo, s3_endpoint, bucket):
    # a read-only key (a common misconfiguration): may read the bucket, may not write to it
    iam = boto3.client("iam", endpoint_url=s3_endpoint, aws_access_key_id="testing", aws_secret_access_key="testing",
                       region_name=REGION)
    user = "reader-" + uuid.uuid4().hex[:8]
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="read-only", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
                       "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]}))
    creds = iam.create_access_key(UserName=user)["AccessKey"]
    use_s3(app, s3_endpoint, bucket, creds["AccessKeyId"], creds["SecretAccessKey"])
    iid = demo["inspection"].id
    school = demo["inspection"].visits[0].school
    token = login(client, "inspector1")
    _set_auth(s3_endpoint, 0)
    try:
        resp = upload(client, token, iid, school, jpeg((40, 140, 40)))
        with pytest.raises(StorageUnavailable, match="AccessDenied"):
            make_storage(app.config).put("ab/cd/x.jpg", b"x", "image/jpeg")
    finally:
        _set_auth(s3_endpoint, "inf")
    assert resp.status_code == 503 and "照片存储暂时无法访问" in resp.get_json()["error"]
    assert db.session.scalar(db.select(db.func.count(Photo.id))) == 0
    assert bucket_keys(s3_endpoint, bucket) == []


def test_backup_and_restore_copy_every_object_of_the_bucket(app, client, demo, s3_endpoint, bucket, tmp_path):
    """The photos of a backup come from the bucket, and a restore puts them into the configured one."""
    use_s3(app, s3_endpoint, bucket)
    iid = demo["inspection"].id
    school = demo["inspection"].visits[0].school
    token = login(client, "inspector1")
    for color in ((250, 0, 0), (0, 250, 0)):
        assert upload(client, token, iid, school, jpeg(color)).status_code == 201
    db.session.remove()
    out = str(tmp_path / "backup")
    result = app.test_cli_runner().invoke(args=["backup", out])
    assert result.exit_code == 0 and "照片文件 4 个" in result.output, result.output
    manifest = json.load(open(f"{out}/manifest.json", encoding="utf-8"))
    assert sorted(manifest["photos"]["files"]) == [k.split("/", 1)[1] for k in bucket_keys(s3_endpoint, bucket)]
    fresh = "ddt-" + uuid.uuid4().hex[:12]
    admin_client(s3_endpoint).create_bucket(Bucket=fresh)
    use_s3(app, s3_endpoint, fresh, prefix="")
    result = app.test_cli_runner().invoke(args=["restore", out, "--force"])
    assert result.exit_code == 0 and "核对通过" in result.output, result.output
    assert bucket_keys(s3_endpoint, fresh) == sorted(manifest["photos"]["files"])
    for key, digest in manifest["photos"]["files"].items():
        body = admin_client(s3_endpoint).get_object(Bucket=fresh, Key=key)["Body"].read()
        assert hashlib.sha256(body).hexdigest() == digest
