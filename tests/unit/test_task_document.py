from datetime import date

from arrears.services.tasks import TASK_FIELDS, task_document
from arrears.services.workspace_ports import TaskRow


def test_the_export_columns_are_the_fields_of_a_task_document_in_order() -> None:
    row = TaskRow(1, 2, "C1", "Acme", "call", "open", "maria", 3, date(2026, 6, 30), "Call", ["I1"], 1, 12345, "USD",
                  ["+1 415 555 0100"], "manual", None, None, None, None, None, None, None, None, None, 1)  # fmt: skip

    document = task_document(row)

    assert tuple(document) == TASK_FIELDS
    assert document["overdue_amount"] == "123.45"
