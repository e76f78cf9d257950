//! Calendar arithmetic and `strftime` for `os.date` / `os.time`.
//!
//! The VM has no time zone database: local time is UTC, exactly as PUC-Rio
//! Lua behaves under `TZ=UTC` (the caller passes zone name "UTC" for local
//! dates and "GMT" for `!` dates, as glibc does).

const DAY: i64 = 86_400;
const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Broken-down time, with Lua's field conventions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tm {
    /// Full year (may be zero or negative: proleptic Gregorian).
    pub year: i64,
    /// Month, 1-12.
    pub month: u32,
    /// Day of month, 1-31.
    pub day: u32,
    /// Hour, 0-23.
    pub hour: u32,
    /// Minute, 0-59.
    pub min: u32,
    /// Second, 0-59.
    pub sec: u32,
    /// Day of week, 1-7, Sunday is 1.
    pub wday: u32,
    /// Day of year, 1-366.
    pub yday: u32,
    /// Daylight saving time flag (always false in UTC).
    pub isdst: bool,
}

/// Days since 1970-01-01 of a proleptic Gregorian date (month 1-12).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    // Count from March so the leap day ends the (shifted) year.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (i64::from(month) + 9) % 12; // March = 0
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The (year, month 1-12, day) of a day count since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

/// Whether a year fits C's `int tm_year` (years since 1900).
fn year_fits(year: i64) -> bool {
    i32::try_from(year - 1900).is_ok()
}

/// Breaks a POSIX time down (UTC); None when the year does not fit C's `tm`.
pub fn tm_from_epoch(t: i64) -> Option<Tm> {
    let days = t.div_euclid(DAY);
    let secs = t.rem_euclid(DAY) as u32;
    let (year, month, day) = civil_from_days(days);
    if !year_fits(year) {
        return None;
    }
    Some(Tm {
        year,
        month,
        day,
        hour: secs / 3600,
        min: secs / 60 % 60,
        sec: secs % 60,
        wday: (days + 4).rem_euclid(7) as u32 + 1,
        yday: (days - days_from_civil(year, 1, 1)) as u32 + 1,
        isdst: false,
    })
}

/// Checks a date-table field like `os.time` does (`delta` is 1900 for the
/// year, 1 for the month, 0 otherwise): "field 'x' is out-of-bound".
pub fn check_date_field(key: &str, value: i64, delta: i64) -> Result<i64, String> {
    let ok = if value >= 0 {
        value - delta <= i64::from(i32::MAX)
    } else {
        i64::from(i32::MIN) + delta <= value
    };
    if ok {
        Ok(value)
    } else {
        Err(format!("field '{key}' is out-of-bound"))
    }
}

/// Fields of a date table for [`epoch_from_tm`]; out-of-range values are
/// normalised like C `mktime` (month 13 is next January, day 0 the last day
/// of the previous month, negative seconds borrow, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateFields {
    /// Full year.
    pub year: i64,
    /// Month (1-12 when normal).
    pub month: i64,
    /// Day of month.
    pub day: i64,
    /// Hour.
    pub hour: i64,
    /// Minute.
    pub min: i64,
    /// Second.
    pub sec: i64,
    /// `isdst` field if present; glibc's mktime in UTC moves `true` back an hour.
    pub isdst: Option<bool>,
}

/// POSIX time of a date table (`os.time`); None means Lua's "time result
/// cannot be represented in this installation".
pub fn epoch_from_tm(f: &DateFields) -> Option<i64> {
    let m0 = i128::from(f.month) - 1;
    let year = i128::from(f.year) + m0.div_euclid(12);
    let month = m0.rem_euclid(12) as u32 + 1;
    let year = i64::try_from(year).ok().filter(|&y| year_fits(y))?;
    let days = i128::from(days_from_civil(year, month, 1)) + i128::from(f.day) - 1;
    let mut t = days * 86_400 + i128::from(f.hour) * 3600 + i128::from(f.min) * 60;
    t += i128::from(f.sec);
    if f.isdst == Some(true) {
        t -= 3600;
    }
    let t = i64::try_from(t).ok()?;
    // mktime fails when the normalised year overflows; Lua also rejects -1,
    // mktime's error value.
    (tm_from_epoch(t).is_some() && t != -1).then_some(t)
}

/// ISO 8601 week-based (year, week) of a date.
fn iso_week(tm: &Tm) -> (i64, u32) {
    let iso_wday = (tm.wday + 5) % 7 + 1; // Monday = 1 .. Sunday = 7
    let week = (i64::from(tm.yday) - i64::from(iso_wday) + 10) / 7;
    let weeks_in = |y: i64| {
        let jan1 = (days_from_civil(y, 1, 1) + 4).rem_euclid(7); // Sunday = 0
        if jan1 == 4 || (jan1 == 3 && is_leap(y)) {
            53u32
        } else {
            52
        }
    };
    if week < 1 {
        (tm.year - 1, weeks_in(tm.year - 1))
    } else if week > i64::from(weeks_in(tm.year)) {
        (tm.year + 1, 1)
    } else {
        (tm.year, week as u32)
    }
}

/// Formats `tm` like C `strftime` in the C locale, with the conversions
/// (and `E`/`O` modifiers) Lua 5.4 accepts. `zone` is the `%Z` text.
pub fn strftime(fmt: &[u8], tm: &Tm, zone: &str, out: &mut Vec<u8>) -> Result<(), String> {
    let mut i = 0;
    while let Some(&b) = fmt.get(i) {
        i += 1;
        if b != b'%' {
            out.push(b);
            continue;
        }
        let bad = || {
            let rest = String::from_utf8_lossy(&fmt[i..]);
            Err(format!("invalid conversion specifier '%{rest}'"))
        };
        let mut conv = fmt.get(i).copied().unwrap_or(0);
        match conv {
            b'E' | b'O' => {
                let next = fmt.get(i + 1).copied().unwrap_or(0);
                let allowed: &[u8] = if conv == b'E' {
                    b"cCxXyY"
                } else {
                    b"deHImMSuUVwWy"
                };
                if !allowed.contains(&next) {
                    return bad();
                }
                i += 1;
                conv = next;
            }
            _ if !b"aAbBcCdDeFgGhHIjmMnprRStTuUVwWxXyYzZ%".contains(&conv) => return bad(),
            _ => {}
        }
        i += 1;
        format_conv(conv, tm, zone, out);
    }
    Ok(())
}

fn format_conv(conv: u8, tm: &Tm, zone: &str, out: &mut Vec<u8>) {
    let wd = WEEKDAYS[(tm.wday as usize + 6) % 7];
    let mon = MONTHS[(tm.month as usize + 11) % 12];
    let hour12 = (tm.hour + 11) % 12 + 1;
    let wday0 = i64::from(tm.wday) - 1; // Sunday = 0
    let yday0 = i64::from(tm.yday) - 1;
    let s = match conv {
        b'a' => wd[..3].to_string(),
        b'A' => wd.to_string(),
        b'b' | b'h' => mon[..3].to_string(),
        b'B' => mon.to_string(),
        b'c' => format!(
            "{} {} {:2} {:02}:{:02}:{:02} {}",
            &wd[..3],
            &mon[..3],
            tm.day,
            tm.hour,
            tm.min,
            tm.sec,
            tm.year
        ),
        b'C' => tm.year.div_euclid(100).to_string(),
        b'd' => format!("{:02}", tm.day),
        b'D' | b'x' => format!(
            "{:02}/{:02}/{:02}",
            tm.month,
            tm.day,
            tm.year.rem_euclid(100)
        ),
        b'e' => format!("{:2}", tm.day),
        b'F' => format!("{}-{:02}-{:02}", tm.year, tm.month, tm.day),
        b'g' => format!("{:02}", iso_week(tm).0.rem_euclid(100)),
        b'G' => iso_week(tm).0.to_string(),
        b'H' => format!("{:02}", tm.hour),
        b'I' => format!("{hour12:02}"),
        b'j' => format!("{:03}", tm.yday),
        b'm' => format!("{:02}", tm.month),
        b'M' => format!("{:02}", tm.min),
        b'n' => "\n".into(),
        b'p' => (if tm.hour < 12 { "AM" } else { "PM" }).into(),
        b'r' => format!(
            "{hour12:02}:{:02}:{:02} {}",
            tm.min,
            tm.sec,
            if tm.hour < 12 { "AM" } else { "PM" }
        ),
        b'R' => format!("{:02}:{:02}", tm.hour, tm.min),
        b'S' => format!("{:02}", tm.sec),
        b't' => "\t".into(),
        b'T' | b'X' => format!("{:02}:{:02}:{:02}", tm.hour, tm.min, tm.sec),
        b'u' => ((tm.wday + 5) % 7 + 1).to_string(),
        b'U' => format!("{:02}", (yday0 + 7 - wday0) / 7),
        b'V' => format!("{:02}", iso_week(tm).1),
        b'w' => wday0.to_string(),
        b'W' => format!("{:02}", (yday0 + 7 - (wday0 + 6) % 7) / 7),
        b'y' => format!("{:02}", tm.year.rem_euclid(100)),
        b'Y' => tm.year.to_string(),
        b'z' => "+0000".into(),
        b'Z' => zone.into(),
        _ => "%".into(),
    };
    out.extend_from_slice(s.as_bytes());
}

#[cfg(test)]
mod tests;
