// Progressive enhancement only: every page works without this file.
// A "select all" checkbox toggles the checkboxes named by its data-select-all attribute.
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.dataset.selectAll) return;
  const name = box.dataset.selectAll;
  for (const other of document.querySelectorAll(`input[type=checkbox][name="${name}"]`)) {
    other.checked = box.checked;
  }
});
