// Parse iCalendar texts with Mozilla's ical.js (the parser Thunderbird uses) and report what
// a client would see, as JSON. Used by tests/icaljs.py.
//
// stdin:  a JSON array of iCalendar texts.
// stdout: a JSON array with one entry per text, in order: either
//   {"error": "<message>"} when ical.js cannot parse it, or
//   {"properties": {...}, "timezones": [...], "events": [...]} (the shape is documented in
//   tests/icaljs.py).
//
// ical.js bundles no time zone database: a DTSTART;TZID=X can only be converted to an instant
// through the VTIMEZONE with TZID X in the same file. Every VTIMEZONE of a calendar is
// registered with ICAL.TimezoneService under its TZID while that calendar is read, and the
// service is emptied again afterwards, so no calendar can borrow another one's zone. A TZID
// that the file does not define gives start/end null and an "error" for that event, never a
// guess (ical.js itself would silently treat such a time as floating).
import ICAL from "ical.js";

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on("data", (chunk) => chunks.push(chunk));
    process.stdin.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    process.stdin.on("error", reject);
  });
}

// "YYYY-MM-DDTHH:MM:SSZ" for a date-time, "YYYY-MM-DD" for a DATE value (not an instant).
function isoUtc(time) {
  if (time.isDate) {
    return time.toString();
  }
  return new Date(time.toUnixTime() * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function valueString(value) {
  if (value === null || value === undefined) {
    return null;
  }
  if (value instanceof ICAL.Time) {
    return value.isDate || value.zone === ICAL.Timezone.utcTimezone
      ? isoUtc(value)
      : value.toString();
  }
  return String(value);
}

// All values of a property as one string (multi-valued properties joined by ",").
function propString(prop) {
  if (!prop) {
    return null;
  }
  const values = prop.getValues().map(valueString);
  return values.length ? values.join(",") : null;
}

function firstPropString(component, name) {
  return propString(component.getFirstProperty(name));
}

function param(prop, name) {
  const value = prop.getParameter(name);
  if (value === null || value === undefined) {
    return null;
  }
  return Array.isArray(value) ? value.join(",") : String(value);
}

// Converts a DTSTART/DTEND-like property to [iso, tzid, error].
function instant(prop, label, fileTzids) {
  if (!prop) {
    return [null, null, null];
  }
  const tzid = param(prop, "tzid");
  const time = prop.getFirstValue();
  if (tzid !== null) {
    if (!fileTzids.has(tzid)) {
      return [null, tzid, `${label} has TZID=${tzid} but the calendar has no VTIMEZONE with that TZID`];
    }
    if (!time.zone || time.zone.tzid !== tzid || !time.zone.component) {
      return [null, tzid, `${label} TZID=${tzid} did not resolve to its VTIMEZONE in ical.js`];
    }
  } else if (!time.isDate && time.zone !== ICAL.Timezone.utcTimezone) {
    return [null, null, `${label} is a floating local time (no TZID and not UTC)`];
  }
  return [isoUtc(time), tzid, null];
}

function person(prop) {
  return { value: valueString(prop.getFirstValue()), cn: param(prop, "cn") };
}

function alarm(component) {
  const trigger = component.getFirstProperty("trigger");
  let triggerValue = null;
  if (trigger) {
    const value = trigger.getFirstValue();
    // A duration ("-PT15M", relative to the start unless RELATED=END) or a UTC date-time.
    triggerValue = value instanceof ICAL.Time ? isoUtc(value) : valueString(value);
  }
  return {
    action: firstPropString(component, "action"),
    trigger: triggerValue,
    description: firstPropString(component, "description"),
  };
}

function eventEntry(component, fileTzids) {
  const event = new ICAL.Event(component);
  const errors = [];
  const [start, startTzid, startError] = instant(component.getFirstProperty("dtstart"), "DTSTART", fileTzids);
  let [end, endTzid, endError] = instant(component.getFirstProperty("dtend"), "DTEND", fileTzids);
  if (startError) errors.push(startError);
  if (endError) errors.push(endError);
  // No DTEND: the end ical.js derives from DTSTART + DURATION, if both are usable.
  if (!component.hasProperty("dtend") && component.hasProperty("duration") && start !== null) {
    end = isoUtc(event.endDate);
    endTzid = startTzid;
  }

  const sequence = component.getFirstPropertyValue("sequence");
  const geo = component.getFirstPropertyValue("geo");
  const dtstamp = component.getFirstPropertyValue("dtstamp");
  const organizer = component.getFirstProperty("organizer");
  return {
    uid: firstPropString(component, "uid"),
    sequence: sequence === null ? null : Number(sequence),
    summary: firstPropString(component, "summary"),
    description: firstPropString(component, "description"),
    location: firstPropString(component, "location"),
    status: firstPropString(component, "status"),
    url: firstPropString(component, "url"),
    geo: Array.isArray(geo) ? geo.map(Number) : null,
    dtstamp: dtstamp ? isoUtc(dtstamp) : null,
    start,
    end,
    start_tzid: startTzid,
    end_tzid: endTzid,
    organizer: organizer ? person(organizer) : null,
    attendees: component.getAllProperties("attendee").map((prop) => ({
      ...person(prop),
      role: param(prop, "role"),
      partstat: param(prop, "partstat"),
      rsvp: param(prop, "rsvp"),
      cutype: param(prop, "cutype"),
    })),
    alarms: component.getAllSubcomponents("valarm").map(alarm),
    error: errors.length ? errors.join("; ") : null,
  };
}

function parseCalendar(text) {
  let jcal = ICAL.parse(text);
  if (Array.isArray(jcal[0])) {
    // Several top-level components in one text.
    if (jcal.length !== 1) {
      throw new Error(`expected one VCALENDAR, found ${jcal.length} top-level components`);
    }
    jcal = jcal[0];
  }
  const calendar = new ICAL.Component(jcal);
  if (calendar.name !== "vcalendar") {
    throw new Error(`expected a VCALENDAR, found ${calendar.name.toUpperCase()}`);
  }

  const zones = calendar.getAllSubcomponents("vtimezone");
  const tzids = zones.map((zone) => zone.getFirstPropertyValue("tzid"));
  if (tzids.some((tzid) => !tzid)) {
    throw new Error("a VTIMEZONE has no TZID");
  }
  const fileTzids = new Set(tzids);
  if (fileTzids.size !== tzids.length) {
    throw new Error(`duplicate VTIMEZONE TZIDs: ${tzids.join(", ")}`);
  }

  // Start from an empty service (reset() leaves only its built-in UTC/GMT/Z aliases), register
  // this file's zones, read everything, then remove them again.
  ICAL.TimezoneService.reset();
  try {
    zones.forEach((zone, i) => {
      ICAL.TimezoneService.register(new ICAL.Timezone({ component: zone, tzid: tzids[i] }), tzids[i]);
    });

    const properties = {};
    for (const prop of calendar.getAllProperties()) {
      if (!(prop.name in properties)) {
        properties[prop.name] = propString(prop);
      }
    }
    return {
      properties,
      timezones: tzids,
      events: calendar.getAllSubcomponents("vevent").map((event) => eventEntry(event, fileTzids)),
    };
  } finally {
    for (const tzid of tzids) {
      ICAL.TimezoneService.remove(tzid);
    }
    ICAL.TimezoneService.reset();
  }
}

const texts = JSON.parse(await readStdin());
if (!Array.isArray(texts) || texts.some((text) => typeof text !== "string")) {
  throw new Error("stdin must be a JSON array of strings");
}
const results = texts.map((text) => {
  try {
    return parseCalendar(text);
  } catch (error) {
    return { error: String(error && error.message ? error.message : error) };
  }
});
process.stdout.write(JSON.stringify(results));
