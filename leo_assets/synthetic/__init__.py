from .config import FaultRates, GenerationSummary, GeneratorConfig, RateRow
from .generator import generate
from .report import format_report, rate_report

__all__ = ["FaultRates", "GenerationSummary", "GeneratorConfig", "RateRow", "format_report", "generate", "rate_report"]
