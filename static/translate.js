// The server puts {English: translation} of every message its scripts translate (the
// page's entry module and those it imports) into a data-messages attribute of the page.

// The translating function of the page whose words are in element's data-messages:
// called with (message, values), it translates a message and replaces each {name} in it
// by values[name].
export function translator(element) {
  const messages = JSON.parse(element.dataset.messages || "{}");
  return (message, values = {}) => (messages[message] || message)
    .replace(/\{(\w+)\}/g, (whole, name) => (name in values ? values[name] : whole));
}
