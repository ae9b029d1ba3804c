"""Page object: the embedded widget as a reader sees and uses it."""

from __future__ import annotations

from playwright.sync_api import Locator, Page

# Runs in the page: the WCAG 2 contrast ratio of each element's own text against the colour
# actually behind it (the nearest painted backgrounds, blended, over the white canvas).
CONTRAST_SCRIPT = """
(root) => {
  const parse = (value) => {
    const parts = value.match(/[\\d.]+/g).map(Number);
    return { r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1 };
  };
  const channel = (v) => {
    v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  };
  const luminance = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  const over = (top, under) => ({
    r: top.r * top.a + under.r * (1 - top.a),
    g: top.g * top.a + under.g * (1 - top.a),
    b: top.b * top.a + under.b * (1 - top.a), a: 1 });
  const behind = (node) => {
    const layers = [];
    for (let n = node; n; n = n.parentElement) {
      const colour = parse(getComputedStyle(n).backgroundColor);
      if (colour.a > 0) { layers.push(colour); if (colour.a >= 1) break; }
    }
    const canvas = { r: 255, g: 255, b: 255, a: 1 };
    return layers.reverse().reduce((under, top) => over(top, under), canvas);
  };
  const failures = [];
  for (const node of root.querySelectorAll("*")) {
    const own = Array.from(node.childNodes).some((c) => c.nodeType === 3 && c.textContent.trim());
    if (!own || !node.getClientRects().length || node.closest("[aria-hidden=true]")) continue;
    if (node.disabled) continue;  // inactive controls are exempt
    const style = getComputedStyle(node);
    if (style.visibility === "hidden") continue;
    const background = behind(node);
    const text = over(parse(style.color), background);
    const [light, dark] = [luminance(text), luminance(background)].sort((a, b) => b - a);
    const ratio = (light + 0.05) / (dark + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) {
      const on = `rgb(${background.r}, ${background.g}, ${background.b})`;
      const what = node.className || node.tagName;
      failures.push(`${what}: ${ratio.toFixed(2)} (${style.color} on ${on})`);
    }
  }
  return failures;
}
"""


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

    @property
    def theme(self) -> str | None:
        """The theme the widget applied: light, dark or auto."""
        return self.root.get_attribute("data-eg-theme")

    @property
    def refusal(self) -> Locator:
        return self.root.locator(".eg-refused")

    def contrast_failures(self) -> list[str]:
        """Every visible text in the widget whose rendered colour on its rendered background
        falls short of WCAG AA (4.5:1, or 3:1 for large text), described for a failure message."""
        failures: list[str] = self.root.evaluate(CONTRAST_SCRIPT)
        return failures

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
