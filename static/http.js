// A token that names the two columns of one blocking demo, so that both run on its own
// loop. getRandomValues, not randomUUID: a class's laptops reach the server over plain
// http on the LAN, where randomUUID does not exist.
export function ownLoopToken() {
  return Array.from(crypto.getRandomValues(new Uint8Array(12)),
    (byte) => byte.toString(16).padStart(2, "0")).join("");
}

// Asks the server for JSON; an answer that is not ok throws the server's own reason.
export async function askJSON(url, options = {}) {
  const response = await fetch(url, {
    ...options, headers: { Accept: "application/json", ...options.headers } });
  const answer = await response.json();
  if (!response.ok) throw new Error(answer.error || response.statusText);
  return answer;
}
