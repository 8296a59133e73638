"""Numbers that are not finite: "nan"/"inf" typed as a measured value is refused with a Chinese
message and nothing is stored; a photo sent with an infinite or out-of-range location is kept,
without the location."""
import uuid

import pytest

from app.extensions import db
from app.models import CheckRecord, Photo
from tests.conftest import login, text_of
from tests.test_photo_routes import upload


@pytest.mark.parametrize("raw", ["nan", "inf", "-inf", "Infinity", "NaN"])
def test_a_measured_value_that_is_not_finite_is_refused(client, demo, raw):
    iid = demo["inspection"].id
    t = login(client, "inspector1")
    visit = next(v for v in demo["inspection"].visits if v.school.school_type == "九年一贯制学校")
    resp = client.post(f"/inspections/{iid}/schools/{visit.school.id}/items/G5", headers={"HX-Request": "true"},
                       data={"csrf_token": t, "client_uuid": str(uuid.uuid4()), "verdict": "达标",
                             "measure_label_0": "三年级1班", "measure_value_0": raw})
    assert resp.status_code == 422
    assert f"第 1 行实测值「{raw}」不是有限的数" in text_of(resp)
    assert db.session.execute(db.select(CheckRecord).filter_by(item_code="G5")).scalar() is None


@pytest.mark.parametrize("lat,lng", [("inf", "104.1"), ("30.5", "-inf"), ("nan", "nan"), ("91", "104.1"),
                                     ("30.5", "180.5"), ("1e309", "104.1")])
def test_a_photo_with_a_location_that_is_not_a_place_is_kept_without_it(client, demo, lat, lng):
    iid = demo["inspection"].id
    school = demo["inspection"].visits[0].school
    t = login(client, "inspector1")
    resp = upload(client, t, iid, school, str(uuid.uuid4()), lat=lat, lng=lng)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    photo = db.session.get(Photo, resp.get_json()["id"])
    kept = {"lat": photo.latitude, "lng": photo.longitude}
    for name, raw in (("lat", lat), ("lng", lng)):
        if raw in ("30.5", "104.1"):
            assert kept[name] == float(raw)  # the good half of the location stays
        else:
            assert kept[name] is None


def test_a_photo_with_a_real_location_keeps_it(client, demo):
    iid = demo["inspection"].id
    t = login(client, "inspector1")
    resp = upload(client, t, iid, demo["inspection"].visits[0].school, str(uuid.uuid4()), lat="-33.9", lng="-180")
    photo = db.session.get(Photo, resp.get_json()["id"])
    assert (photo.latitude, photo.longitude) == (-33.9, -180.0)
