import type { ParseOutcome } from "./parse.ts";

/** A to-do read from free text: what to do, and the day it is due when the text names one. */
export interface ToDo {
  title: string;
  /** YYYY-MM-DD. */
  due?: string;
}

/**
 * How a to-do starts ("todo: …", "remember to …", "don't forget to …", "I need to …"), as
 * opposed to an event ("lunch with Sam at 1pm") or a question.
 */
const toDoStart =
  /^\s*(?:(?:add\s+(?:a\s+)?)?(?:to-?do|task)\s*[:-]\s*|(?:please\s+)?remember\s+to\s+|don'?t\s+forget\s+to\s+|(?:i\s+)?(?:need|have)\s+to\s+)/i;

/** The longest title Google Tasks keeps. */
const TITLE_LENGTH = 1024;

/**
 * Reads a to-do from text that starts like one; undefined otherwise. The due day is the date the
 * parser found, if any: Google Tasks keeps a day, not a time.
 */
export function readToDo(text: string, parsed: ParseOutcome): ToDo | undefined {
  const start = toDoStart.exec(text);
  if (!start) return undefined;
  const rest = text.slice(start[0].length).trim().replace(/\s+/g, " ");
  if (!rest) return undefined;
  const title = (rest[0]!.toUpperCase() + rest.slice(1)).slice(0, TITLE_LENGTH);
  const due = parsed.events[0]?.start.slice(0, 10);
  return due ? { title, due } : { title };
}
