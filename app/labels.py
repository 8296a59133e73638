"""Chinese names for the codes the audit log and other pages would otherwise show (create,
check_record, author_id …). One place, used through the `zh` template filter."""

ACTIONS = {
    "create": "新建", "update": "修改", "delete": "删除", "restore": "恢复", "import": "导入", "draw": "抽签",
    "sign": "签发", "reopen": "重新打开", "submit": "提交", "return": "退回", "sync": "收集问题", "merge": "合并",
    "unmerge": "取消合并", "confirm": "确认", "close": "销号", "start": "开始检查", "finish": "完成检查",
    "login_failed": "登录失败", "logout": "退出登录", "sign_out": "强制下线", "password": "修改密码",
    "disable": "停用", "enable": "启用", "role": "修改角色", "approve": "审核通过",
}

ENTITIES = {
    "check_record": "检查记录", "hearing": "陈述答辩", "hearing_entry": "答辩问答", "interview": "访谈记录",
    "department": "相关部门", "photo": "照片", "visit": "检查学校", "group": "检查小组", "member": "检查组成员",
    "inspection": "检查", "draw": "随机抽签", "group_summary": "小组汇总", "summary_problem": "汇总问题",
    "feedback": "反馈意见", "feedback_problem": "反馈问题", "rectification": "整改事项", "school_data": "学校数据",
    "user": "账号", "county": "县（市、区）", "school": "学校", "record_conflict": "修改冲突",
    "data_report": "数据填报", "report_evidence": "佐证材料",
}

FIELDS = {
    "verdict": "结论", "observed_value": "观测值", "note": "备注", "measurements": "实测记录", "author_id": "录入人",
    "question": "问题", "asked_by": "提问人", "answer": "回答要点", "judgement": "评价", "indicator_code": "指标",
    "interviewee_type": "访谈对象类型", "interviewee": "访谈对象", "school_id": "学校", "answers": "回答",
    "satisfaction": "满意度", "documents_seen": "查阅的文件", "covered": "检查范围", "strengths": "主要成绩和亮点",
    "narrative": "综合情况", "status": "状态", "text": "表述", "part": "部分", "is_key": "重点问题",
    "conclusion": "结论", "vetoes": "一票否决", "process": "检查过程", "achievements": "主要成效",
    "requirements": "整改要求", "addressee": "主送", "issuer": "落款单位", "overall": "总体结论",
    "problems_text": "存在问题", "closing": "结束语", "photo_choice": "证据照片", "photos": "证据照片",
    "caption": "照片说明", "evidence": "证据", "locked": "锁定", "reason": "原因", "group": "小组",
    "inspector": "督学", "date": "日期", "name": "名称", "lead": "组长", "members": "成员", "role": "角色",
    "started_at": "开始时间", "finished_at": "完成时间", "reporter": "陈述人", "summary": "陈述要点",
    "merged_into_id": "合并到", "measure": "整改措施", "deadline": "完成时限", "closed": "销号", "值": "值",
    "active": "启用", "username": "用户名", "code": "代码",
    "return_reason": "退回原因", "values": "填报数据",
}

_TABLES = {"action": ACTIONS, "entity": ENTITIES, "field": FIELDS}


def zh(value, kind):
    """The Chinese name of a code of `kind` ('action', 'entity', 'field'); the code itself when
    there is none (a new code shows up rather than disappearing)."""
    return _TABLES[kind].get(value, value)
