// Which lessons this browser has done: kept in its local storage, never sent anywhere.
const KEY = "webdemo-lessons-done";

export function doneLessons() {
  try {
    return new Set(JSON.parse(localStorage.getItem(KEY)) || []);
  } catch {  // storage off, or not ours to read: nothing done
    return new Set();
  }
}

export function markDone(number) {
  const done = doneLessons();
  done.add(Number(number));
  try {
    localStorage.setItem(KEY, JSON.stringify([...done].sort((a, b) => a - b)));
  } catch {  // storage off: the lesson is done all the same, only not remembered
  }
}
