"""The load test's users, for Locust (docs/benchmarks.md, "Load test"); `bench/load.py` runs it.

Collectors work their lists through the API, as an integration or a dialer would: their open tasks,
one customer opened, that task completed with a follow-up, a call logged. Managers sign in to the web
pages and read the reports, and the team's task list by overdue amount.

Every write the server answered with a 2xx is written down (the task completed, its follow-up, the
call logged), and at the end of the run saved to `$LOAD_WRITES` as JSON: `bench/load.py` then
checks that each of them is in the database. A 409 (the task was closed meanwhile, by the cycle or a
payment) is a correct answer, counted apart, not an error.

Settings come from `$LOAD_CONFIG` (JSON, written by bench/load.py): the collectors' API tokens, the
managers' names and password, the report period, the day follow-ups are due.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from typing import Any

from locust import HttpUser, between, events, task

CONFIG: dict[str, Any] = json.loads(open(os.environ["LOAD_CONFIG"], encoding="utf-8").read())  # noqa: SIM115
WRITES: dict[str, list[Any]] = {"completed": [], "follow_ups": [], "calls": [], "conflicts": []}
_collectors = itertools.count()
_managers = itertools.count()


@events.quitting.add_listener
def _save_writes(environment: Any, **_: Any) -> None:
    with open(os.environ["LOAD_WRITES"], "w", encoding="utf-8") as out:
        json.dump(WRITES, out)


class Collector(HttpUser):
    """One collector: the list, a customer, the task done with a follow-up, a call logged."""

    fixed_count = int(CONFIG["collector_users"])
    wait_time = between(1, 3)

    def on_start(self) -> None:
        number = next(_collectors)
        self.collector, token = CONFIG["collectors"][number % len(CONFIG["collectors"])]
        self.client.headers["Authorization"] = f"Bearer {token}"
        self.done: set[int] = set()
        self.rng = random.Random(number)

    @task
    def work_the_list(self) -> None:
        with self.client.get("/api/v1/tasks", name="collector: my open tasks", catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"{answer.status_code}: {answer.error or answer.text[:200]}")
                return
            items = [t for t in answer.json()["items"] if t["id"] not in self.done and t["type"] != "expected_payment"]
        if not items:
            return
        chosen = self.rng.choice(items)
        self.done.add(chosen["id"])
        customer = chosen["customer_external_id"]
        self.client.get(f"/api/v1/customers/{customer}", name="collector: open a customer")
        self.client.get(f"/api/v1/customers/{customer}/timeline", name="collector: the customer's timeline")

        body: dict[str, Any] = {"note": "load test: spoke to AP", "follow_up_date": CONFIG["follow_up_date"]}
        if chosen["type"] == "call":
            body["outcome"] = "left_voicemail"
        with self.client.post(
            f"/api/v1/tasks/{chosen['id']}/complete",
            json=body,
            name="collector: complete with a follow-up",
            catch_response=True,
        ) as answer:
            if answer.status_code == 409:
                WRITES["conflicts"].append([chosen["id"], answer.text[:200]])
                answer.success()
            elif answer.status_code == 200:
                done = answer.json()
                WRITES["completed"].append(done["task"]["id"])
                if done["follow_up"] is not None:
                    WRITES["follow_ups"].append(done["follow_up"]["id"])
            else:
                answer.failure(f"{answer.status_code}: {answer.error or answer.text[:200]}")

        call = {
            "customer_external_id": customer,
            "type": "call",
            "complete": True,
            "outcome": self.rng.choice(("answered", "not_answered", "left_voicemail")),
            "note": f"load test call by {self.collector}",
        }
        with self.client.post("/api/v1/tasks", json=call, name="collector: log a call", catch_response=True) as answer:
            if answer.status_code in (200, 201):
                WRITES["calls"].append(answer.json()["id"])
            else:
                answer.failure(f"{answer.status_code}: {answer.error or answer.text[:200]}")


class Manager(HttpUser):
    """One manager, signed in to the pages: the reports, a report's CSV, everyone's list by overdue."""

    fixed_count = int(CONFIG["manager_users"])
    wait_time = between(3, 8)

    def on_start(self) -> None:
        names = CONFIG["managers"]
        name = names[next(_managers) % len(names)]
        page = self.client.get("/signin", name="manager: sign-in page")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        if token is None:
            raise RuntimeError("no CSRF token on the sign-in page")
        form = {"name": name, "password": CONFIG["password"], "csrf": token.group(1)}
        with self.client.post(
            "/signin", data=form, name="manager: sign in (POST)", allow_redirects=False, catch_response=True
        ) as answer:
            if answer.status_code != 303:
                answer.failure(f"{answer.status_code}: {answer.error or answer.text[:200]}")
        self.period = {"from": CONFIG["report_from"], "to": CONFIG["report_to"]}

    @task(3)
    def reports(self) -> None:
        self.client.get("/reports", params=self.period, name="manager: reports page")

    @task(1)
    def aging_csv(self) -> None:
        self.client.get("/reports/aging.csv", params=self.period, name="manager: aging CSV")

    @task(2)
    def team_list(self) -> None:
        self.client.get(
            "/tasks", params={"assignee": "*", "sort": "-overdue_amount"}, name="manager: everyone's tasks page"
        )
