// Domain names as the engine keys them: normalised like any JID domain part,
// or, for a name the IDNA rules refuse (a pattern that can never match a
// real JID), at least lower-cased so that lookups stay consistent.
#pragma once

#include <string>
#include <string_view>

namespace xmq {

std::string ascii_lower(std::string_view s);
std::string normalize_domain_name(std::string_view domain);

}  // namespace xmq
