"""The whole procedure on a phone: draw → hearing → archive → school visit → interview →
group summary → feedback signed. Screenshots of each step's main page in tests/output/."""
from app.extensions import db
from app.models import CheckRecord, Draw, Feedback, GroupSummary, HearingEntry, Inspection, Interview
from tests.browser.conftest import PHONE, login_page, screenshot, wait_saved


def test_procedure_on_a_phone(app, demo, live_server, browser, page):
    base = live_server.url
    iid = demo["inspection"].id
    g1 = demo["inspection"].groups[0]
    school = next(v.school for v in demo["inspection"].visits if v.group_id == g1.id)

    # the team lead draws the schools
    lead = browser.new_context(**PHONE).new_page()
    login_page(lead, base, "lead")
    lead.goto(f"{base}/inspections/{iid}/draws")
    lead.click("button:has-text('抽取学校')")
    lead.wait_for_selector("h1:has-text('抽签记录')")
    lead.click("a:has-text('复核')")
    lead.wait_for_selector("#verify-result:has-text('复核一致')")
    screenshot(lead, "step0-draw")

    # an inspector records a hearing entry (HTMX, no reload)
    login_page(page, base, "inspector1")
    page.goto(f"{base}/inspections/{iid}/hearing")
    new = page.locator("#hearing-new")
    new.locator("textarea[name=question]").fill("全县大班额何时全部消除？")
    new.locator("input[name=asked_by]").fill("李组长")
    new.locator("textarea[name=answer]").fill("计划2026年秋季新建两所学校后消除")
    new.locator("label.verdict:has-text('一般')").click()
    new.locator("button[type=submit]").click()
    page.wait_for_selector("#entries form.entry .saved:has-text('第 1 版')")
    assert page.locator("#hearing-new textarea[name=question]").input_value() == ""  # a fresh form for the next one
    screenshot(page, "step1-hearing")

    # an archive item
    page.goto(f"{base}/inspections/{iid}/archives")
    item = page.locator("#item-CA-G9")
    item.locator("label.verdict:has-text('缺失')").click()
    item.locator("textarea[name=note]").fill("未提供教师培训学时统计")
    item.locator("textarea[name=note]").blur()
    wait_saved(page, "#item-CA-G9")
    screenshot(page, "step2-archives", full_page=False)

    # a school visit: start, one finding, finish
    page.goto(f"{base}/inspections/{iid}/schools/{school.id}")
    page.click("button:has-text('开始检查')")
    page.wait_for_selector("button:has-text('完成本校检查')")
    item = page.locator("#item-R5")
    assert "填报体育运动场馆面积" in item.inner_text()  # the reported figures beside the item
    item.locator("label.verdict:has-text('存疑')").click()
    item.locator("input[name=observed_value]").fill("3200")
    item.locator("textarea[name=note]").fill("实测运动场约3200㎡，少于填报面积")
    item.locator("textarea[name=note]").blur()
    wait_saved(page, "#item-R5")
    page.click("button:has-text('完成本校检查')")
    page.wait_for_selector("h1:has-text('完成')")  # items are left: they are listed first
    assert page.locator(".confirm-list li").count() > 0
    screenshot(page, "step3-finish-confirm")
    page.click("button:has-text('仍然完成本校检查')")
    page.wait_for_selector("text=已标记检查完成")
    screenshot(page, "step3-school", full_page=False)

    # an interview
    page.goto(f"{base}/inspections/{iid}/interviews/new?type=家长&school_id={school.id}")
    page.fill("input[name=interviewee]", "四年级学生家长")
    page.fill("textarea[name=answer_0]", "就近入学，步行十分钟")
    page.click("label.verdict:has-text('不满意')")
    page.fill("textarea[name=note]", "反映课后服务时间太短")
    page.locator("textarea[name=note]").blur()
    wait_saved(page, "#interview-form")
    page.click("a:has-text('完成，回到')")
    page.wait_for_selector("h1:has-text('实地随机访谈')")
    screenshot(page, "step5-interviews")

    # the group lead (inspector1 leads 第一组) collects and submits the summary
    page.goto(f"{base}/inspections/{iid}/groups/{g1.id}/summary")
    page.click("button:has-text('收集本组记录的问题')")
    page.wait_for_selector("text=新增 4 个")
    page.fill("textarea[name=strengths]", "学校办学条件明显改善")
    page.click("button:has-text('保存综述')")
    page.click("button:has-text('提交检查组组长')")
    page.wait_for_selector("button:has-text('仍然提交')")  # schools of the group not started are listed
    page.click("button:has-text('仍然提交')")
    page.wait_for_selector("text=汇总已提交检查组组长")
    screenshot(page, "step6-summary")

    # the team lead imports, concludes and signs
    lead.goto(f"{base}/inspections/{iid}/feedback")
    lead.click("button:has-text('从小组汇总导入问题')")
    lead.wait_for_selector("text=导入问题 4 个")
    lead.fill("textarea[name=achievements]", "县委县政府高度重视，经费保障有力。")
    lead.select_option("select[name=conclusion]", "整改后复核")
    lead.click("button:has-text('保存反馈意见')")
    lead.wait_for_selector("text=反馈意见已保存")
    lead.click("a:has-text('签发反馈意见')")
    lead.wait_for_selector("h2:has-text('没有完成检查的学校')")  # what is unfinished, first
    screenshot(lead, "step7-sign-confirm")
    lead.click("button:has-text('确认签发并锁定')")
    lead.wait_for_selector("text=反馈意见已签发")
    screenshot(lead, "step7-feedback")
    lead.goto(f"{base}/inspections/{iid}")
    screenshot(lead, "inspection-steps")
    assert lead.locator(".step").nth(6).locator(".badge").inner_text() == "已完成"

    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Draw.id))) == 1
        assert db.session.scalar(db.select(db.func.count(HearingEntry.id))) == 1
        assert db.session.scalar(db.select(db.func.count(Interview.id))) == 1
        assert db.session.scalar(db.select(db.func.count(CheckRecord.id))) == 2
        assert db.session.execute(db.select(GroupSummary).filter_by(group_id=g1.id)).scalar_one().status == "submitted"
        assert db.session.execute(db.select(Feedback)).scalar_one().conclusion == "整改后复核"
        assert db.session.get(Inspection, iid).locked
