"""Every change to segments goes through these functions. One module per area."""

from .cover_sheets import *  # noqa: F401,F403
from .criteria_steps import *  # noqa: F401,F403
from .letter_jobs import *  # noqa: F401,F403
from .log_segment import *  # noqa: F401,F403
from .logged_segments import *  # noqa: F401,F403
from .mailing_groups import *  # noqa: F401,F403
from .resend import *  # noqa: F401,F403
from .saved_criteria import *  # noqa: F401,F403
from .unsendable_lines import *  # noqa: F401,F403
from .worksheet import *  # noqa: F401,F403
