// Asks the server for JSON; an answer that is not ok throws the server's own reason.
export async function askJSON(url, options = {}) {
  const response = await fetch(url, {
    ...options, headers: { Accept: "application/json", ...options.headers } });
  const answer = await response.json();
  if (!response.ok) throw new Error(answer.error || response.statusText);
  return answer;
}
