"use strict";
// Shared by the pages' scripts, loaded before them: the server puts {English: translation}
// of every t("...") in a page's script into a data-messages attribute of the page.

// The t() of the page whose words are in element's data-messages: t(message, values)
// translates a message and replaces each {name} in it by values[name].
function translator(element) {
  const messages = JSON.parse(element.dataset.messages || "{}");
  return (message, values = {}) => (messages[message] || message)
    .replace(/\{(\w+)\}/g, (whole, name) => (name in values ? values[name] : whole));
}
