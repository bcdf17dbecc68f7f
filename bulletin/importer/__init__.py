"""``build.py import``: bulletin files as editors receive them (.docx, .txt, .md) into an
issue and per-county articles, or one article.

reading (bytes or .docx -> blocks) -> cleaning (notices, page marks, broken lines, widths)
-> structure (masthead, 编者按, county sections, bylines) -> fields (front matter guesses)
-> plan (files and their text; pure) -> writing (all or nothing, and the report).
"""

from bulletin.importer.plan import Options
from bulletin.importer.writing import Report, import_files, json_report, text_report

__all__ = ["Options", "Report", "import_files", "json_report", "text_report"]
