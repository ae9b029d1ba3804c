"""Page object: the moderation pages as a moderator sees and uses them."""

from __future__ import annotations

from playwright.sync_api import Locator, Page


class ModerationPages:
    """The moderation pages of the service at ``base`` (e.g. ``http://127.0.0.1:5000``)."""

    def __init__(self, page: Page, base: str) -> None:
        self.page = page
        self.base = base

    def watch_policy_violations(self) -> None:
        """Record every Content-Security-Policy violation the pages cause from now on."""
        self.page.add_init_script(
            "window.__violations = [];"
            "document.addEventListener('securitypolicyviolation',"
            " e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
        )

    def policy_violations(self) -> list[str]:
        return list(self.page.evaluate("window.__violations"))

    def log_in(self, username: str, password: str) -> None:
        self.page.goto(f"{self.base}/moderation/login")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Log in").click()

    def log_out(self) -> None:
        self.page.get_by_role("button", name="Log out").click()

    def open_dashboard(self) -> None:
        self.page.get_by_role("navigation", name="Moderation").get_by_role(
            "link", name="Dashboard"
        ).click()

    def open(self, name: str) -> None:
        """Follow a link of the navigation (Pending, Bans, Audit log...)."""
        self.page.get_by_role("navigation", name="Moderation").get_by_role(
            "link", name=name
        ).click()

    def queue_size(self, name: str) -> Locator:
        return self.page.locator(f'nav [data-queue-size="{name}"]')

    def item(self, text: str) -> Locator:
        """The queue item of the comment whose text contains ``text``."""
        return self.page.locator("li.item").filter(has_text=text)

    def act(self, text: str, action: str) -> None:
        """Click one of the item's action buttons (Approve, Reject, Spam, Ban author...)."""
        self.item(text).get_by_role("button", name=action, exact=True).click()

    @property
    def flash(self) -> Locator:
        return self.page.locator(".flashes")

    def chart(self, caption: str) -> Locator:
        return self.page.locator("figure.chart").filter(has_text=caption)

    # Webhooks (admins)
    def add_webhook(self, url: str, *, events: list[str] | None = None) -> None:
        """Register an endpoint from the Webhooks page (every event unless ``events``)."""
        form = self.page.locator("#new-endpoint")
        form.get_by_label("Receiver URL").fill(url)
        if events is not None:
            for box in form.get_by_role("checkbox").all():
                box.set_checked(box.get_attribute("value") in events)
        form.get_by_role("button", name="Add endpoint").click()

    @property
    def new_secret(self) -> Locator:
        return self.page.locator("#new-secret")

    def delivery(self, event: str) -> Locator:
        """The delivery log's rows of ``event``, newest first."""
        return self.page.locator("#deliveries tbody tr").filter(has_text=event)

    # The queue pages from the keyboard
    def open_queue(self, name: str) -> None:
        self.page.goto(f"{self.base}/moderation/queues/{name}")

    def press(self, *keys: str) -> None:
        """Type shortcut keys on the page (not in a form field)."""
        for key in keys:
            self.page.keyboard.press(key)

    @property
    def announcement(self) -> Locator:
        """What the page last said to screen readers."""
        return self.page.locator("#announcer")

    @property
    def current_item(self) -> Locator:
        return self.page.locator("li.item.current")

    @property
    def shortcut_help(self) -> Locator:
        return self.page.get_by_role("dialog", name="Keyboard shortcuts")

    def context_of(self, text: str) -> Locator:
        return self.item(text).locator(".context")

    def mark_page(self) -> None:
        """Leave a mark in the page's window: a full reload would wipe it."""
        self.page.evaluate("window.__sameDocument = true")

    def same_page(self) -> bool:
        return bool(self.page.evaluate("window.__sameDocument === true"))

    # Articles
    def open_article(self, key: str) -> None:
        self.page.goto(f"{self.base}/moderation/articles/{key}")
