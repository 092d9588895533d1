// What a view shows, kept in its address, so that a link to it shows it again: the pages'
// scripts write what a visitor chooses (knobs, open point, break-it demo, turn) and read
// it back on load. The address changes in place: no new entry in the history.

const here = () => new URL(window.location);

// The value of `name` in the address, or null.
export function read(name) {
  return here().searchParams.get(name);
}

// Every value of a repeated `name` (delay_ms=…&delay_ms=…), in order.
export function readAll(name) {
  return here().searchParams.getAll(name);
}

// Writes {name: value} into the address: a list repeats the name, null or "" removes it.
export function write(values) {
  const address = here();
  for (const [name, value] of Object.entries(values)) {
    address.searchParams.delete(name);
    for (const one of [value].flat()) {
      if (one !== null && one !== undefined && one !== "") address.searchParams.append(name, one);
    }
  }
  window.history.replaceState(window.history.state, "", address);
}

// The address of the view as it is now: the link to share.
export function link() {
  return String(here());
}

// The control that gives that link: its button copies it where the browser lets a page
// write the clipboard, and shows it, selected, to copy by hand either way.
export function startLinkControl(root, t) {
  const button = root.querySelector("button");
  const shown = root.querySelector("input");
  const said = root.querySelector("[role=status]");
  button.classList.remove("awaits-script");
  button.addEventListener("click", async () => {
    shown.value = link();
    shown.hidden = false;
    shown.select();
    try {
      await navigator.clipboard.writeText(shown.value);
      said.textContent = t("Copied.");
    } catch {
      said.textContent = t("Copy it from the box.");
    }
  });
}
