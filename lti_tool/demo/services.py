"""The demo LTI 1.3 platform's services, gathered for the callers that import them from here.

The demo plays Moodle 4.5's part (see tests/data/moodle-4.5) against the tool in the same app,
so a newcomer without an LMS can click through a real launch. Everything the tool sends it is
checked as strictly as a real platform would. Each job lives in its own module:

    registration   the demo platform and its registration in the tool
    course         the course page: activities and launch buttons
    auth           the OIDC authentication answer and the signed id_token
    oauth          the token endpoint and bearer tokens for the services
    ags            Assignment and Grade Services: line items, scores, results
    gradebook      the course page's grade table
    nrps           Names and Role Provisioning Services: the roster
    deep_linking   checking the tool's deep-linking response
    people, urls, errors
"""

from lti_tool.demo.ags import (  # noqa: F401
    ACTIVITY_PROGRESS,
    GRADING_PROGRESS,
    LINEITEM_MEDIA_TYPE,
    LINEITEMS_MEDIA_TYPE,
    RESULTS_MEDIA_TYPE,
    SCORE_MEDIA_TYPE,
    create_line_item,
    delete_line_item,
    get_line_item,
    line_item_json,
    list_line_items,
    record_score,
    results_json,
    update_line_item,
)
from lti_tool.demo.auth import ID_TOKEN_LIFETIME, AuthResponse, authorize  # noqa: F401
from lti_tool.demo.course import (  # noqa: F401
    DEEP_LINK,
    HINT_MAX_AGE,
    HINT_SALT,
    IFRAME,
    RESOURCE,
    WINDOW,
    LaunchButton,
    built_in_item,
    course_items,
    launch_button,
    tool_target,
)
from lti_tool.demo.deep_linking import DEEP_LINK_REQUEST_TTL, accept_deep_link_response  # noqa: F401
from lti_tool.demo.errors import DemoError, DemoServiceError  # noqa: F401
from lti_tool.demo.gradebook import FULLY_GRADED, Gradebook, GradebookRow, gradebook, shown_grade  # noqa: F401
from lti_tool.demo.models import BUILT_IN, DEEP_LINKING  # noqa: F401
from lti_tool.demo.nrps import MEMBERSHIP_MEDIA_TYPE, MembershipPage, memberships  # noqa: F401
from lti_tool.demo.oauth import CLOCK_LEEWAY, JWT_BEARER, TOKEN_LIFETIME, issue_access_token, require_scope  # noqa: F401
from lti_tool.demo.people import DEMO_CONTEXT, DEMO_PEOPLE, PEOPLE_BY_KEY, PEOPLE_BY_SUB, DemoPerson  # noqa: F401
from lti_tool.demo.registration import (  # noqa: F401
    AGS_SCOPES,
    BUILT_IN_TITLE,
    DEPLOYMENT_ID,
    PRODUCT_FAMILY,
    SUPPORTED_SCOPES,
    ensure_demo_platform,
    find_demo_platform,
)
from lti_tool.demo.urls import line_item_url, service_urls  # noqa: F401
