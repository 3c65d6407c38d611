"""chat-infra sizing: expected user load in, a true infrastructure plan out."""

from sizing.assumptions import Assumptions
from sizing.data.pricing import PriceTable, load_price_file
from sizing.engine.calculator import calculate
from sizing.errors import SizingError
from sizing.plan import SizingPlan
from sizing.workload import Workload

__all__ = ["Assumptions", "PriceTable", "SizingError", "SizingPlan", "Workload", "calculate", "load_price_file"]
