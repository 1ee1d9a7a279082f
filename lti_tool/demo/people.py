"""The demo course's people and its context, as Moodle 4.5 shows them to a tool."""

from __future__ import annotations

from dataclasses import dataclass

from lti_tool.lti import claims


@dataclass(frozen=True)
class DemoPerson:
    sub: str
    key: str
    given_name: str
    family_name: str
    username: str
    roles: tuple[str, ...]
    # What NRPS answers: Moodle's short role names, not URIs.
    nrps_roles: tuple[str, ...]
    enrolled: bool = True

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def email(self) -> str:
        return f"{self.username}@example.com"

    @property
    def is_learner(self) -> bool:
        return self.enrolled and claims.LEARNER in self.roles


# Subs follow Moodle's numeric user ids, as in the captured fixtures (Sam 4, Terry 3, admin 2).
DEMO_PEOPLE = (
    DemoPerson("4", "learner", "Sam", "Student", "sam.student", (claims.LEARNER,), ("Learner",)),
    DemoPerson("5", "learner2", "Lotte", "de Vries", "lotte.devries", (claims.LEARNER,), ("Learner",)),
    DemoPerson("6", "learner3", "Ahmed", "Yilmaz", "ahmed.yilmaz", (claims.LEARNER,), ("Learner",)),
    DemoPerson("3", "instructor", "Terry", "Teacher", "terry.teacher", (claims.INSTRUCTOR,), ("Instructor",)),
    DemoPerson(
        "2",
        "admin",
        "Dana",
        "Dekker",
        "dana.dekker",
        (claims.INSTITUTION_ADMINISTRATOR, claims.INSTRUCTOR, claims.SYSTEM_ADMINISTRATOR),
        (),
        enrolled=False,
    ),
)
PEOPLE_BY_SUB = {person.sub: person for person in DEMO_PEOPLE}
PEOPLE_BY_KEY = {person.key: person for person in DEMO_PEOPLE}
DEMO_CONTEXT = {"id": "2", "label": "DEMO101", "title": "Demo: E-Portfolio 101", "type": ["CourseSection"]}
