// crema/common/time.h: timestamps and durations.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "crema/common/result.h"

namespace crema {

// Parses a timestamp into UTC milliseconds since the epoch. Accepts ISO 8601 / RFC 3339
// ("2018-10-10T20:19:24Z", "...+05:30", fractional seconds, date only, space separator),
// Twitter's "Wed Oct 10 20:19:24 +0000 2018", and epoch seconds or milliseconds (digits;
// values above 10^11 are taken as milliseconds).
Result<int64_t> parse_timestamp(std::string_view text);

// Formats UTC milliseconds as ISO 8601 "YYYY-MM-DDTHH:MM:SSZ" (".mmmZ" when ms != 0).
std::string format_timestamp(int64_t ms);

// Parses a duration such as "30d", "12h", "90m", "45s", "2w" or plain seconds "3600"
// into milliseconds. Fractions allowed ("1.5d").
Result<int64_t> parse_duration(std::string_view text);

}  // namespace crema
