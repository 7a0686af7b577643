// Affiliations (a user's long-lived standing in a room: owner, admin, member,
// outcast, none) and roles (an occupant's rights while present: moderator,
// participant, visitor, none) of XEP-0045 §5, their wire names, and the role
// an affiliation gives on entering. Pure values and functions; any thread.
#pragma once

#include <optional>
#include <string_view>

namespace muc {

// In rank order: a higher value is more privileged.
enum class Affiliation { outcast, none, member, admin, owner };
enum class Role { none, visitor, participant, moderator };

std::string_view to_string(Affiliation);
std::string_view to_string(Role);
std::optional<Affiliation> affiliation_from_string(std::string_view);
std::optional<Role> role_from_string(std::string_view);

// XEP-0045 §5.1.2: owners and admins enter as moderators; in a moderated
// room those without membership enter as visitors; everyone else as
// participant.
Role default_role(Affiliation, bool moderated);

}  // namespace muc
