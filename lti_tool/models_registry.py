"""Import every model module so Base.metadata knows all tables (Alembic, tests)."""

from lti_tool.lti import models as lti_models  # noqa: F401
from lti_tool.outbox import models as outbox_models  # noqa: F401
from lti_tool.people import models as people_models  # noqa: F401
from lti_tool.collections import models as collections_models  # noqa: F401
from lti_tool.coaching import models as coaching_models  # noqa: F401
from lti_tool.competencies import models as competencies_models  # noqa: F401
from lti_tool.portfolio import models as portfolio_models  # noqa: F401
from lti_tool.demo import models as demo_models  # noqa: F401
from lti_tool.modules import models as modules_models  # noqa: F401
from lti_tool.lti import deep_linking as deep_linking_models  # noqa: F401
from lti_tool.formal_evidence import models as formal_evidence_models  # noqa: F401
