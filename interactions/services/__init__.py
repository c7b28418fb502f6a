"""Every change to interactions goes through these functions. One module per area."""

from .calls import *  # noqa: F401,F403
from .cover_sheets import *  # noqa: F401,F403
from .create import *  # noqa: F401,F403
from .delivery import *  # noqa: F401,F403
from .document_logging import *  # noqa: F401,F403
from .emails import *  # noqa: F401,F403
from .entries import *  # noqa: F401,F403
from .templates import *  # noqa: F401,F403
