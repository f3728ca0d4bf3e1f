#include "crema/common/time.h"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace crema {
namespace {

// Howard Hinnant's days_from_civil: days since 1970-01-01 for a proleptic Gregorian date.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(int64_t y, unsigned m) {
  static constexpr std::array<unsigned, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// Reads exactly n digits at s[pos].
bool read_digits(std::string_view s, size_t& pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  pos += n;
  out = v;
  return true;
}

tl::unexpected<Error> bad_time(std::string_view text, const char* why) {
  std::string shown(text.substr(0, 64));
  return make_error(ErrorCode::kParseError, std::string("unparseable time '") + shown + "': " + why);
}

bool valid_fields(int year, int mon, int day, int hh, int mm, int ss) {
  return year >= 1970 && year <= 9999 && mon >= 1 && mon <= 12 && day >= 1 &&
         static_cast<unsigned>(day) <= days_in_month(year, static_cast<unsigned>(mon)) && hh >= 0 &&
         hh <= 23 && mm >= 0 && mm <= 59 && ss >= 0 && ss <= 60;
}

int64_t to_ms(int year, int mon, int day, int hh, int mm, int ss, int64_t frac_ms, int64_t offset_s) {
  const int64_t days = days_from_civil(year, static_cast<unsigned>(mon), static_cast<unsigned>(day));
  const int64_t secs = days * 86400 + hh * 3600 + mm * 60 + ss - offset_s;
  return secs * 1000 + frac_ms;
}

// Parses "+hh:mm", "+hhmm", "+hh", "Z" at pos; returns seconds east of UTC.
bool read_offset(std::string_view s, size_t& pos, int64_t& offset_s) {
  if (pos >= s.size()) return false;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
    offset_s = 0;
    return true;
  }
  if (s[pos] != '+' && s[pos] != '-') return false;
  const int sign = s[pos] == '-' ? -1 : 1;
  ++pos;
  int hh = 0;
  int mm = 0;
  if (!read_digits(s, pos, 2, hh)) return false;
  if (pos < s.size() && s[pos] == ':') ++pos;
  if (pos < s.size()) {
    if (!read_digits(s, pos, 2, mm)) return false;
  }
  if (hh > 23 || mm > 59) return false;
  offset_s = sign * (hh * 3600 + mm * 60);
  return true;
}

Result<int64_t> parse_iso8601(std::string_view s) {
  size_t pos = 0;
  int year = 0, mon = 0, day = 0, hh = 0, mm = 0, ss = 0;
  if (!read_digits(s, pos, 4, year) || pos >= s.size() || s[pos++] != '-' ||
      !read_digits(s, pos, 2, mon) || pos >= s.size() || s[pos++] != '-' ||
      !read_digits(s, pos, 2, day)) {
    return bad_time(s, "expected YYYY-MM-DD");
  }
  int64_t frac_ms = 0;
  int64_t offset_s = 0;
  if (pos < s.size()) {
    if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return bad_time(s, "expected 'T' after date");
    ++pos;
    if (!read_digits(s, pos, 2, hh) || pos >= s.size() || s[pos++] != ':' ||
        !read_digits(s, pos, 2, mm)) {
      return bad_time(s, "expected hh:mm");
    }
    if (pos < s.size() && s[pos] == ':') {
      ++pos;
      if (!read_digits(s, pos, 2, ss)) return bad_time(s, "expected seconds");
    }
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
      ++pos;
      int64_t scale = 100;
      size_t digits = 0;
      while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
        frac_ms += (s[pos] - '0') * scale;
        scale /= 10;
        ++pos;
        ++digits;
      }
      if (digits == 0) return bad_time(s, "empty fraction");
    }
    if (pos < s.size()) {
      if (s[pos] == ' ') ++pos;
      if (!read_offset(s, pos, offset_s)) return bad_time(s, "bad zone offset");
    }
    if (pos != s.size()) return bad_time(s, "trailing characters");
  }
  if (!valid_fields(year, mon, day, hh, mm, ss)) return bad_time(s, "field out of range");
  return to_ms(year, mon, day, hh, mm, ss, frac_ms, offset_s);
}

// "Wed Oct 10 20:19:24 +0000 2018"
Result<int64_t> parse_twitter(std::string_view s) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() != 30 || s[3] != ' ' || s[7] != ' ' || s[10] != ' ' || s[19] != ' ' || s[25] != ' ') {
    return bad_time(s, "not Twitter's 'Wed Oct 10 20:19:24 +0000 2018' form");
  }
  int mon = 0;
  for (size_t i = 0; i < kMonths.size(); ++i) {
    if (s.substr(4, 3) == kMonths[i]) mon = static_cast<int>(i) + 1;
  }
  if (mon == 0) return bad_time(s, "unknown month");
  size_t pos = 8;
  int day = 0, hh = 0, mm = 0, ss = 0, year = 0;
  int64_t offset_s = 0;
  bool ok = read_digits(s, pos, 2, day) && s[pos++] == ' ' && read_digits(s, pos, 2, hh) &&
            s[pos++] == ':' && read_digits(s, pos, 2, mm) && s[pos++] == ':' &&
            read_digits(s, pos, 2, ss) && s[pos++] == ' ' && read_offset(s, pos, offset_s) &&
            pos < s.size() && s[pos++] == ' ' && read_digits(s, pos, 4, year) && pos == s.size();
  if (!ok) return bad_time(s, "malformed Twitter time");
  if (!valid_fields(year, mon, day, hh, mm, ss)) return bad_time(s, "field out of range");
  return to_ms(year, mon, day, hh, mm, ss, 0, offset_s);
}

}  // namespace

Result<int64_t> parse_timestamp(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  if (text.empty()) return bad_time(text, "empty");
  bool all_digits = true;
  for (char c : text) all_digits = all_digits && c >= '0' && c <= '9';
  if (all_digits) {
    if (text.size() > 15) return bad_time(text, "epoch value too large");
    int64_t v = 0;
    std::from_chars(text.data(), text.data() + text.size(), v);
    return v > 100'000'000'000LL ? v : v * 1000;
  }
  if (text.size() >= 10 && std::isdigit(static_cast<unsigned char>(text[0])) && text[4] == '-') {
    return parse_iso8601(text);
  }
  if (std::isalpha(static_cast<unsigned char>(text[0]))) return parse_twitter(text);
  return bad_time(text, "unknown format");
}

std::string format_timestamp(int64_t ms) {
  int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
  const int64_t rem_ms = ms - secs * 1000;
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  int64_t sod = secs - days * 86400;
  int64_t y = 0;
  unsigned m = 0;
  unsigned d = 0;
  civil_from_days(days, y, m, d);
  char buf[64];
  if (rem_ms != 0) {
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                  static_cast<long long>(y), m, d, static_cast<long long>(sod / 3600),
                  static_cast<long long>(sod / 60 % 60), static_cast<long long>(sod % 60),
                  static_cast<long long>(rem_ms));
  } else {
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", static_cast<long long>(y), m,
                  d, static_cast<long long>(sod / 3600), static_cast<long long>(sod / 60 % 60),
                  static_cast<long long>(sod % 60));
  }
  return buf;
}

Result<int64_t> parse_duration(std::string_view text) {
  if (text.empty()) return make_error(ErrorCode::kInvalidArgument, "empty duration");
  double unit_ms = 1000.0;
  std::string_view number = text;
  switch (text.back()) {
    case 's': unit_ms = 1000.0; number.remove_suffix(1); break;
    case 'm': unit_ms = 60'000.0; number.remove_suffix(1); break;
    case 'h': unit_ms = 3'600'000.0; number.remove_suffix(1); break;
    case 'd': unit_ms = 86'400'000.0; number.remove_suffix(1); break;
    case 'w': unit_ms = 7 * 86'400'000.0; number.remove_suffix(1); break;
    default: break;
  }
  double v = 0;
  const auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), v);
  if (ec != std::errc() || ptr != number.data() + number.size() || !(v > 0) || !std::isfinite(v)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "bad duration '" + std::string(text) + "' (use e.g. 30d, 12h, 90m, 45s)");
  }
  return static_cast<int64_t>(std::llround(v * unit_ms));
}

}  // namespace crema
