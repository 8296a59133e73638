"""SQLAlchemy models, one module per area. Importing this package registers every table."""
from .people import LoginFailure, User  # noqa: F401
from .places import County, School  # noqa: F401
from .inspection import Group, GroupMember, Inspection, InspectionMember, Visit  # noqa: F401
from .records import CheckRecord, ClientOp, RecordConflict  # noqa: F401
from .audit import AuditEntry  # noqa: F401
from .procedure import (  # noqa: F401
    Department, Draw, Feedback, FeedbackProblem, GroupSummary, Hearing, HearingEntry, Interview,
    RectificationItem, SummaryProblem,
)
from .schooldata import DataImport, SchoolSectionData  # noqa: F401
from .photos import Photo  # noqa: F401
from .reporting import DataReport, ReportEvidence  # noqa: F401
