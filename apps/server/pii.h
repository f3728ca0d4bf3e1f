// apps/server/pii.h: what a viewer may not see. Viewers get user handles, @mentions,
// e-mail addresses and phone numbers masked; dispatchers and admins see them.
#pragma once

#include <string>
#include <string_view>

namespace crema::server {

// Masks @handles ("@•••"), e-mail addresses ("r•••@example.org") and phone-like runs of
// 7 or more digits (separators " -.()" and a leading "+" allowed; the last two digits
// kept) in UTF-8 text. Other bytes are copied unchanged.
std::string mask_pii(std::string_view text);

// A masked handle: "" stays "", anything else becomes "•••".
std::string mask_handle(std::string_view handle);

// Re-serialises a JSON object with PII masked for viewers: string values under keys
// "user", "user_handle", "author", "handle" become "•••"; "text", "normalized" go through
// mask_pii; "contacts" arrays are replaced by their length as {"masked": n}; everything
// else is copied. Invalid JSON comes back as "{}".
std::string mask_json_for_viewer(std::string_view json);

}  // namespace crema::server
