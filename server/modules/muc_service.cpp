#include "server/modules/muc_service.hpp"

#include <algorithm>
#include <random>
#include <vector>

#include "server/core/storage_executor.hpp"
#include "server/modules/mam_page.hpp"
#include "server/router/router.hpp"
#include "server/store/storage.hpp"
#include "server/system/log.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/serializer.hpp"
#include "xmpp/stored_xml.hpp"

namespace server::modules {

namespace {

// The key a room's occupant ids (XEP-0421) are made from: random per room
// (hex, so that the store keeps it as text).
std::string new_key() {
    std::random_device random;
    constexpr std::string_view digits = "0123456789abcdef";
    std::string key(64, '0');
    for (auto& c : key) c = digits[random() & 0xf];
    return key;
}

store::MucRoomRow row_of(const muc::Room& room, const muc::ConfigLimits& limits) {
    muc::RoomState state = room.state();
    xmpp::Element form = muc::config_form(state.config, limits);
    form.set_attr("type", "submit");
    store::MucRoomRow row{room.jid().domain(), room.jid().local(), xmpp::to_string(form),
                          state.subject ? xmpp::to_string(*state.subject) : std::string(), room.occupant_id_key(), {},
                          std::move(state.nicks)};
    for (const auto& [jid, affiliation] : state.affiliations)
        row.affiliations.emplace_back(jid, std::string(muc::to_string(affiliation)));
    return row;
}

const xmpp::Element* first_element(const xmpp::Element& e) {
    for (const auto& child : e.children())
        if (!child.is_text()) return &child;
    return nullptr;
}

bool is_join(const xmpp::Element& stanza, const xmpp::Jid& to) {
    return stanza.name() == "presence" && stanza.attr("type") == nullptr && !to.is_bare();
}

}  // namespace

std::size_t MucService::load_stored(const std::vector<std::string>& domains) {
    if (!services_.stores) return 0;
    std::size_t loaded = 0;
    for (auto& row : services_.stores->muc().load(options_.max_rooms * std::max<std::size_t>(domains.size(), 1))) {
        if (std::find(domains.begin(), domains.end(), row.domain) == domains.end()) continue;
        auto jid = xmpp::Jid::from_parts(row.name, row.domain);
        if (!jid || rooms_per_domain_[row.domain] >= options_.max_rooms) continue;
        const muc::RoomConfig defaults = muc::default_config(options_.room.config, options_.history_default);
        muc::RoomState state{defaults, {}, std::nullopt, {}};
        auto form = xmpp::parse_stored(row.config);
        auto config = form ? muc::apply_config_form(defaults, *form, options_.room.config)
                           : xmpp::Result<muc::RoomConfig, muc::Error>(xmpp::fail(muc::Error{}));
        if (config) {
            state.config = std::move(*config);
        } else {
            // Stored under other bounds ([modules.muc] changed since): the
            // room keeps its place, its members and its subject, with the
            // default configuration.
            XLOG(warning) << "muc: the stored configuration of " << jid->full()
                          << " is out of the service's bounds; it gets the default one";
        }
        state.config.persistent = true;
        for (auto& [member, affiliation] : row.affiliations)
            if (auto a = muc::affiliation_from_string(affiliation); a && xmpp::Jid::parse(member))
                state.affiliations.emplace_back(member, *a);
        if (!row.subject.empty()) state.subject = xmpp::parse_stored(row.subject);
        state.nicks = std::move(row.nicks);
        const bool archived = state.config.archive;
        muc::Room room(*jid, std::move(state), row.occupant_key, options_.room);
        // Start-up, before the workers: the newest archived messages are
        // the discussion history again.
        if (archived && options_.room.config.max_history > 0)
            if (auto rows = services_.stores->archive().select(row.name, row.domain, {}, true,
                                                                options_.room.config.max_history))
                for (auto& r : *rows)
                    if (auto message = xmpp::parse_stored(r.xml)) room.restore_history(std::move(*message), r.stamp_us);
        rooms_.emplace(jid->bare_string(), std::make_shared<Slot>(std::move(room)));
        ++rooms_per_domain_[row.domain];
        ++loaded;
    }
    return loaded;
}

void MucService::persist(Slot& slot, std::uint64_t revision_before, bool persistent_before) {
    if (!services_.stores || !services_.storage) return;
    const muc::Room& room = slot.room;
    const bool keep = room.config().persistent && !room.destroyed();
    store::MucStore& store = services_.stores->muc();
    // Grouped jobs: a write that joins the commit group of the moment, and
    // reports only a failure afterwards.
    if (keep && (room.revision() != revision_before || !persistent_before)) {
        services_.storage->post([&store, row = row_of(room, options_.room.config)] {
            const bool saved = store.save(row);
            return [saved, name = row.name + "@" + row.domain](bool committed) {
                if (!saved || !committed) {
                    XLOG(warning) << "muc: room " << name << " not stored";
                }
            };
        });
    } else if (!keep && persistent_before) {
        services_.storage->post([&store, domain = room.jid().domain(), name = room.jid().local()] {
            const bool removed = store.remove(domain, name);
            return [removed, room = name + "@" + domain](bool committed) {
                if (!removed || !committed) {
                    XLOG(warning) << "muc: room " << room << " not deleted";
                }
            };
        });
    }
}

std::size_t MucService::room_count() const {
    std::shared_lock lock(rooms_mutex_);
    return rooms_.size();
}

void MucService::handle(xmpp::Element&& stanza, const xmpp::Jid& from, const xmpp::Jid& to, Router& router) {
    if (to.local().empty()) {
        if (stanza.name() == "iq") return service_iq(stanza, from, to, router);
        if (stanza.name() == "message") router.bounce(stanza, xmpp::StanzaError::service_unavailable);
        return;  // presence to the service itself means nothing
    }
    to_room(stanza, from, to, router);
}

void MucService::service_iq(const xmpp::Element& iq, const xmpp::Jid& from, const xmpp::Jid& to, Router& router) {
    const std::string_view type = iq.attr_or("type");
    if (type != "get" && type != "set") return;
    const xmpp::Element* payload = first_element(iq);
    const std::string ns = payload ? payload->xmlns() : std::string();
    if (type == "get" && (ns == xmpp::ns::disco_info || ns == xmpp::ns::disco_items)) {
        if (!to.is_bare() || payload->attr("node")) return router.bounce(iq, xmpp::StanzaError::item_not_found);
        xmpp::Element result("iq", std::string(xmpp::ns::client));
        result.set_attr("type", "result");
        if (const std::string* id = iq.attr("id")) result.set_attr("id", *id);
        result.set_attr("from", to.full());
        result.set_attr("to", from.full());
        xmpp::Element& query = result.add_child(xmpp::Element("query", ns));
        if (ns == xmpp::ns::disco_info) {
            xmpp::Element& identity = query.add_child(xmpp::Element("identity", ns));
            identity.set_attr("category", "conference");
            identity.set_attr("type", "text");
            identity.set_attr("name", "Chat rooms");
            for (std::string_view var : {xmpp::ns::disco_info, xmpp::ns::disco_items, xmpp::ns::muc})
                query.add_child(xmpp::Element("feature", ns)).set_attr("var", std::string(var));
        } else {
            // The public rooms: the table is read first, each room under its
            // own lock afterwards (lock order).
            std::vector<std::shared_ptr<Slot>> slots;
            {
                std::shared_lock lock(rooms_mutex_);
                for (const auto& [jid, slot] : rooms_)
                    if (slot->room.jid().domain() == to.domain()) slots.push_back(slot);
            }
            for (const auto& slot : slots) {
                std::lock_guard lock(slot->mutex);
                if (slot->gone || !slot->room.config().public_room) continue;
                xmpp::Element& item = query.add_child(xmpp::Element("item", ns));
                item.set_attr("jid", slot->room.jid().full());
                const std::string& name = slot->room.config().name;
                item.set_attr("name", name.empty() ? slot->room.jid().local() : name);
            }
        }
        return router.send(result);
    }
    if (type == "get" && ns == xmpp::ns::ping) {
        xmpp::Element result("iq", std::string(xmpp::ns::client));
        result.set_attr("type", "result");
        if (const std::string* id = iq.attr("id")) result.set_attr("id", *id);
        result.set_attr("from", to.full());
        result.set_attr("to", from.full());
        return router.send(result);
    }
    router.bounce(iq, xmpp::StanzaError::service_unavailable);
}

std::shared_ptr<MucService::Slot> MucService::find(const std::string& room) const {
    std::shared_lock lock(rooms_mutex_);
    auto it = rooms_.find(room);
    return it == rooms_.end() ? nullptr : it->second;
}

std::shared_ptr<MucService::Slot> MucService::find_or_create(const xmpp::Element& stanza, const xmpp::Jid& to,
                                                             Router& router) {
    const std::string room = to.bare_string();
    if (auto slot = find(room)) return slot;
    if (!is_join(stanza, to)) return nullptr;
    std::unique_lock lock(rooms_mutex_);
    if (auto it = rooms_.find(room); it != rooms_.end()) return it->second;
    if (rooms_per_domain_[to.domain()] >= options_.max_rooms) {
        lock.unlock();
        router.bounce(stanza, xmpp::StanzaError::not_allowed, "The service has as many rooms as it may");
        return nullptr;
    }
    muc::Room fresh(to.bare(), muc::default_config(options_.room.config, options_.history_default), new_key(),
                    options_.room);
    auto slot = std::make_shared<Slot>(std::move(fresh));
    rooms_.emplace(room, slot);
    ++rooms_per_domain_[to.domain()];
    return slot;
}

void MucService::to_room(const xmpp::Element& stanza, const xmpp::Jid& from, const xmpp::Jid& to, Router& router) {
    const std::string room = to.bare_string();
    // A slot found may be taken out of the table before its lock is ours:
    // then look again (the room may be made anew by this very stanza).
    for (int attempt = 0; attempt < 8; ++attempt) {
        auto slot = find_or_create(stanza, to, router);
        if (!slot) {
            if (stanza.name() == "presence") return;  // leaving a room that is not there
            return router.bounce(stanza, xmpp::StanzaError::item_not_found, "No such room");
        }
        std::lock_guard lock(slot->mutex);
        if (slot->gone) continue;
        const bool was_in = slot->room.has_session(from);
        if (!was_in && is_join(stanza, to)) {
            std::lock_guard joined(joined_mutex_);
            if (rooms_of(from.bare()) >= options_.max_rooms_per_user) {
                router.bounce(stanza, xmpp::StanzaError::resource_constraint, "You are in as many rooms as you may");
                after(*slot, room, from, false);
                return;
            }
        }
        const std::uint64_t revision = slot->room.revision();
        const bool persistent = slot->room.config().persistent;
        muc::Outbox out;
        slot->room.handle(stanza, from, to, muc::Clock::now(), out);
        deliver(out, router);
        archive(*slot, router);
        persist(*slot, revision, persistent);
        after(*slot, room, from, was_in);
        return;
    }
}

void MucService::after(Slot& slot, const std::string& room, const xmpp::Jid& session, bool was_in) {
    const bool is_in = slot.room.has_session(session);
    std::vector<xmpp::Jid> departed = slot.room.take_departed();
    if (is_in != was_in || !departed.empty()) {
        std::lock_guard joined(joined_mutex_);
        if (is_in && !was_in) joined_[session.full()].insert(room);
        for (const auto& gone : departed)
            if (auto it = joined_.find(gone.full()); it != joined_.end()) {
                it->second.erase(room);
                if (it->second.empty()) joined_.erase(it);
            }
    }
    if (slot.room.destroyed() || (slot.room.empty() && !slot.room.config().persistent)) {
        if (services_.stores && services_.storage) {
            // After any of its messages (the storage thread runs jobs in order).
            services_.storage->post([&store = services_.stores->archive(), jid = slot.room.jid()] {
                const bool removed = store.remove_all(jid.local(), jid.domain());
                return [removed, jid](bool committed) {
                    if (!removed || !committed) {
                        XLOG(warning) << "muc: the archive of " << jid.full() << " not deleted";
                    }
                };
            });
        }
        std::unique_lock lock(rooms_mutex_);
        if (auto it = rooms_.find(room); it != rooms_.end() && it->second.get() == &slot) {
            rooms_.erase(it);
            if (--rooms_per_domain_[slot.room.jid().domain()] == 0) rooms_per_domain_.erase(slot.room.jid().domain());
        }
        slot.gone = true;
    }
}

std::size_t MucService::rooms_of(const xmpp::Jid& bare) const {
    // Full JIDs of one account sort together after "bare/".
    const std::string prefix = bare.bare_string() + "/";
    std::set<std::string> rooms;
    for (auto it = joined_.lower_bound(prefix); it != joined_.end() && it->first.starts_with(prefix); ++it)
        rooms.insert(it->second.begin(), it->second.end());
    return rooms.size();
}

void MucService::deliver(const muc::Outbox& out, Router& router) {
    auto config = services_.current_config();
    Delivery& delivery = router.delivery();
    for (const auto& o : out) {
        const xmpp::Element& stanza = *o.stanza;
        if (o.to.is_bare()) {
            // An invitation (or its decline) for an account: routed as a
            // message to it (offline storage when no resource is online),
            // only to the hosts served here.
            if (config->serves_host(o.to.domain())) {
                xmpp::Element copy = stanza;
                copy.set_attr("to", o.to.full());
                router.route(std::move(copy), o.from, &o.to);
            }
            continue;
        }
        const std::string& kind = stanza.name();
        const DeliveryKind delivery_kind = kind == "presence" ? DeliveryKind::presence
                                           : kind == "iq"     ? DeliveryKind::server
                                                              : DeliveryKind::routed;
        delivery.to_resource(stanza, o.from, o.to, delivery_kind);
    }
}

void MucService::archive(Slot& slot, Router& router) {
    std::vector<muc::ArchiveEntry> entries = slot.room.take_archived();
    std::vector<muc::ArchiveRequest> requests = slot.room.take_archive_requests();
    if (!services_.stores || !services_.storage) {
        for (const auto& r : requests) router.bounce(r.iq, xmpp::StanzaError::service_unavailable);
        return;
    }
    const xmpp::Jid& room = slot.room.jid();
    store::ArchiveStore& store = services_.stores->archive();
    if (!entries.empty()) {
        std::vector<store::ArchiveRow> rows;
        rows.reserve(entries.size());
        for (auto& e : entries)
            rows.push_back({room.local(), room.domain(), std::move(e.id), e.stamp_us, room.bare_string(),
                            std::move(e.nick), std::move(e.xml)});
        services_.storage->post([&store, rows = std::move(rows)] {
            const bool written = store.add(rows);
            return [written, room = rows.front().with_bare](bool committed) {
                if (!written || !committed) {
                    XLOG(error) << "muc: cannot archive a message of " << room;
                }
            };
        });
    }
    const MamLimits limits{options_.mam_default_page, options_.mam_max_page, 0};
    for (auto& r : requests)
        services_.storage->post([&store, r = std::move(r), room, limits, &router] {
            if (r.kind == muc::ArchiveRequest::Kind::metadata)
                answer_metadata(store, r.iq, room, r.from, limits, router);
            else
                answer_query(store, r.iq, room, r.from, r.query, limits, router);
        });
}

void MucService::account_removed(const xmpp::Jid& bare) {
    std::vector<std::pair<std::string, std::shared_ptr<Slot>>> slots;
    {
        std::shared_lock lock(rooms_mutex_);
        slots.assign(rooms_.begin(), rooms_.end());
    }
    for (const auto& [room, slot] : slots) {
        std::lock_guard lock(slot->mutex);
        if (slot->gone) continue;
        const std::uint64_t revision = slot->room.revision();
        const bool persistent = slot->room.config().persistent;
        muc::Outbox out;
        slot->room.account_removed(bare, out);
        deliver(out, *services_.router);
        persist(*slot, revision, persistent);
        after(*slot, room, bare, false);
    }
}

void MucService::session_ended(const xmpp::Jid& full) {
    std::set<std::string> rooms;
    {
        std::lock_guard joined(joined_mutex_);
        auto it = joined_.find(full.full());
        if (it == joined_.end()) return;
        rooms = std::move(it->second);
        joined_.erase(it);
    }
    for (const auto& room : rooms) {
        auto slot = find(room);
        if (!slot) continue;
        std::lock_guard lock(slot->mutex);
        if (slot->gone) continue;
        muc::Outbox out;
        slot->room.session_ended(full, out);
        deliver(out, *services_.router);
        after(*slot, room, full, false);
    }
}

}  // namespace server::modules
