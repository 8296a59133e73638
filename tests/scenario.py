"""A small inspection run through the routes as its users would: records in two groups, a
photo marked as evidence, both summaries submitted, the feedback compiled and the
rectification measures filled. Used by the report tests."""
import io
import uuid

from PIL import Image

from app.extensions import db
from app.models import Feedback
from tests.conftest import login


def u():
    return str(uuid.uuid4())


def jpeg(color=(140, 160, 90)):
    buf = io.BytesIO()
    Image.new("RGB", (1200, 900), color).save(buf, "JPEG", quality=85)
    return buf.getvalue()


def run(client, demo):
    inspection = demo["inspection"]
    iid = inspection.id
    g1, g2 = inspection.groups
    school1 = next(v.school for v in inspection.visits if v.group_id == g1.id)
    school2 = next(v.school for v in inspection.visits if v.group_id == g2.id)

    def post(url, token, **data):
        return client.post(url, data=dict(data, csrf_token=token))

    t = login(client, "inspector2")
    post(f"/inspections/{iid}/schools/{school1.id}/items/G5", t, client_uuid=u(), verdict="不达标", note="五年级二班58人")
    post(f"/inspections/{iid}/records/archive_county/{demo['county'].id}/items/CA-G11", t, client_uuid=u(),
         verdict="不全", note="缺2024年交流名单")
    post(f"/inspections/{iid}/interviews", t, client_uuid=u(), interviewee_type="家长", satisfaction="不满意",
         note="课后服务时间短")
    post(f"/inspections/{iid}/hearing/entries", t, client_uuid=u(), question="编外教师如何消化？", judgement="差")
    photo = client.post(f"/inspections/{iid}/photos", content_type="multipart/form-data", data={
        "csrf_token": t, "client_uuid": u(), "subject_type": "school", "subject_id": str(school1.id), "item_code": "G5",
        "taken_at": "2026-11-21T02:10:00Z", "photo": (io.BytesIO(jpeg()), "a.jpg")}).get_json()
    client.post("/logout", data={"csrf_token": t})

    t = login(client, "inspector3")
    post(f"/inspections/{iid}/schools/{school2.id}/items/Q8", t, client_uuid=u(), verdict="存疑", note="作业量偏大")
    post(f"/inspections/{iid}/groups/{g2.id}/summary/sync", t)
    post(f"/inspections/{iid}/groups/{g2.id}/summary/save", t, strengths="学校管理规范")
    post(f"/inspections/{iid}/groups/{g2.id}/summary/submit", t, confirm="1")
    client.post("/logout", data={"csrf_token": t})

    t = login(client, "inspector1")
    post(f"/photos/{photo['id']}/evidence", t)
    post(f"/photos/{photo['id']}/caption", t, caption="五年级二班课堂")
    post(f"/inspections/{iid}/groups/{g1.id}/summary/sync", t)
    post(f"/inspections/{iid}/groups/{g1.id}/summary/submit", t, confirm="1")
    client.post("/logout", data={"csrf_token": t})

    t = login(client, "lead")
    post(f"/inspections/{iid}/feedback/import", t)
    post(f"/inspections/{iid}/feedback/save", t, achievements="县委县政府高度重视义务教育。\n经费投入逐年增长。",
         requirements="一年内消除大班额。\n完善教师交流轮岗台账。", conclusion="整改后复核")
    fb = db.session.execute(db.select(Feedback).filter_by(inspection_id=iid)).scalar_one()
    form = {}
    for p in fb.problems:
        form[f"measure_{p.id}"] = f"针对问题{p.position}制定措施"
        form[f"deadline_{p.id}"] = "2027-06"
    post(f"/inspections/{iid}/rectification", t, **form)
    return {"token": t, "school1": school1, "school2": school2, "feedback": fb, "photo": photo}
