#include "muc/roles.hpp"

namespace muc {

std::string_view to_string(Affiliation a) {
    switch (a) {
    case Affiliation::outcast: return "outcast";
    case Affiliation::none: return "none";
    case Affiliation::member: return "member";
    case Affiliation::admin: return "admin";
    case Affiliation::owner: return "owner";
    }
    return "none";
}

std::string_view to_string(Role r) {
    switch (r) {
    case Role::none: return "none";
    case Role::visitor: return "visitor";
    case Role::participant: return "participant";
    case Role::moderator: return "moderator";
    }
    return "none";
}

std::optional<Affiliation> affiliation_from_string(std::string_view s) {
    for (auto a : {Affiliation::outcast, Affiliation::none, Affiliation::member, Affiliation::admin, Affiliation::owner})
        if (to_string(a) == s) return a;
    return std::nullopt;
}

std::optional<Role> role_from_string(std::string_view s) {
    for (auto r : {Role::none, Role::visitor, Role::participant, Role::moderator})
        if (to_string(r) == s) return r;
    return std::nullopt;
}

Role default_role(Affiliation a, bool moderated) {
    if (a >= Affiliation::admin) return Role::moderator;
    if (a == Affiliation::member) return Role::participant;
    if (a == Affiliation::outcast) return Role::none;
    return moderated ? Role::visitor : Role::participant;
}

}  // namespace muc
