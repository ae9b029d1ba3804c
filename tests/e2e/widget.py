"""Page object: the embedded widget as a reader sees and uses it."""

from __future__ import annotations

from playwright.sync_api import Locator, Page


class Widget:
    """The thread widget on ``page`` (the first ``[data-engagement-thread]``)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.root = page.locator("[data-engagement-thread]").first

    # Reading
    @property
    def counter(self) -> Locator:
        return self.root.locator(".eg-counter")

    @property
    def status(self) -> Locator:
        return self.root.locator(".eg-status")

    @property
    def form(self) -> Locator:
        return self.root.locator(":scope > .eg-form")

    @property
    def error(self) -> Locator:
        return self.form.locator(".eg-error")

    def comment(self, text: str) -> Locator:
        """The comment whose own body contains ``text``."""
        return self.root.locator(".eg-comment").filter(
            has=self.page.locator(":scope > .eg-card .eg-body", has_text=text)
        )

    def top_level(self) -> Locator:
        return self.root.locator(".eg-comments > .eg-comment")

    # Acting
    def write(self, text: str, *, name: str = "", email: str = "", website: str = "") -> None:
        """Fill in the main form without sending it."""
        self.form.get_by_label("Your comment").fill(text)
        if name:
            self.form.get_by_label("Name (optional)").fill(name)
        if email:
            self.form.get_by_label("Email (optional)").fill(email)
        if website:
            self.form.get_by_label("Website (optional)").fill(website)

    @property
    def notify_replies(self) -> Locator:
        """The main form's "Email me when someone replies" box."""
        return self.form.get_by_label("Email me when someone replies")

    def post(self, text: str, **identity: str) -> None:
        self.write(text, **identity)
        self.form.get_by_role("button", name="Post comment").click()

    def reply(self, to: str, text: str) -> None:
        parent = self.comment(to)
        parent.locator(":scope > .eg-card").get_by_role("button", name="Reply to").click()
        form = parent.locator(":scope > .eg-form")
        form.get_by_label("Your comment").fill(text)
        form.get_by_role("button", name="Post reply").click()

    def edit(self, old: str, new: str) -> None:
        card = self.comment(old).locator(":scope > .eg-card")
        card.get_by_role("button", name="Edit").click()
        form = card.locator(".eg-form-edit")
        form.get_by_label("Your comment").fill(new)
        form.get_by_role("button", name="Save").click()

    def like(self, text: str) -> Locator:
        button = self.comment(text).locator(":scope > .eg-card .eg-like")
        button.click()
        return button

    def report(self, text: str, reason: str) -> None:
        card = self.comment(text).locator(":scope > .eg-card")
        card.get_by_role("button", name="Report").click()
        card.get_by_label("Why?").select_option(reason)
        card.get_by_role("button", name="Send report").click()

    def sort(self, by: str) -> None:
        self.root.get_by_label("Sort by").select_option(by)

    def load_more(self) -> None:
        self.root.get_by_role("button", name="Load more comments").click()

    # Signed-in readers (SSO)
    @property
    def signed_in_as(self) -> Locator:
        """The form's "Commenting as ..." line, shown while a reader is signed in."""
        return self.form.locator(".eg-signed-in")

    @property
    def gate(self) -> Locator:
        """Why a guest cannot comment here, with the login link."""
        return self.root.locator(".eg-gate")

    def sign_in(self, token: str) -> None:
        """What a single-page site does once its reader has logged in."""
        self.page.evaluate("token => window.engagement.signIn(token)", token)

    def sign_out(self) -> None:
        """What a single-page site does when its reader logs out."""
        self.page.evaluate("() => window.engagement.signOut()")
