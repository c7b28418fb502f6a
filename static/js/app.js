// Small progressive enhancements; every page works without them.
document.addEventListener("click", (event) => {
  // <button data-confirm="…"> asks before submitting its form.
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
  // <button data-opens-dialog="id"> opens that dialog; <button data-closes-dialog> closes its own (no inline
  // handlers: the Content-Security-Policy runs scripts from our own files only).
  const opener = event.target.closest("[data-opens-dialog]");
  if (opener) {
    document.getElementById(opener.dataset.opensDialog)?.showModal();
  }
  const closer = event.target.closest("[data-closes-dialog]");
  if (closer) {
    closer.closest("dialog")?.close();
  }
  // A "select all" checkbox for bulk actions on list pages.
  const all = event.target.closest("input[data-select-all]");
  if (all) {
    document.querySelectorAll(`input[name="${all.dataset.selectAll}"]`).forEach((box) => { box.checked = all.checked; });
  }
});

// Progress bars: the bar's width comes from its aria-valuenow (no inline style attribute, see above), on load and
// whenever htmx swaps a fresh job card in.
function sizeProgressBars(root) {
  root.querySelectorAll(".progress[aria-valuenow] > span").forEach((bar) => {
    bar.style.width = `${Number(bar.parentElement.getAttribute("aria-valuenow")) || 0}%`;
  });
}
document.addEventListener("DOMContentLoaded", () => sizeProgressBars(document));
document.addEventListener("htmx:load", (event) => sizeProgressBars(event.target.parentElement || document));
