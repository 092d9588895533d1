// Builds the pages' elements: children are nodes or text, never parsed as HTML.

const SVG = "http://www.w3.org/2000/svg";

export function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.append(...children);
  return node;
}

export function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

export const ms = (value) => `${Number(value).toFixed(1)} ms`;

// A box that scrolls: the keyboard reaches it, and a screen reader names it.
export function scrollableByKeyboard(node, name) {
  node.tabIndex = 0;
  node.setAttribute("role", "region");
  node.setAttribute("aria-label", name);
}
