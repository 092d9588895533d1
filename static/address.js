// The state of a view in the page's address, so that a link to it restores it: each
// part of a page reads its own parameter at load and writes it as it changes, without
// adding a step to the browser's history.

// The value of parameter `name` in the page's address, or null.
export const fromAddress = (name) => new URLSearchParams(window.location.search).get(name);

// Sets the given parameters in the page's address; a null value removes its parameter.
export function toAddress(values) {
  const address = new URL(window.location);
  for (const [name, value] of Object.entries(values)) {
    if (value === null) address.searchParams.delete(name);
    else address.searchParams.set(name, value);
  }
  window.history.replaceState(window.history.state, "", address);
}
