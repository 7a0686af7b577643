#include "server/core/module_host.hpp"

#include <algorithm>
#include <stdexcept>

#include "xmpp/namespaces.hpp"

namespace server {

void ModuleHost::on_iq(IqTarget target, std::string_view type, std::string_view xmlns, IqHandler handler) {
    iq_handlers_[Key{target, std::string(type), std::string(xmlns)}] = std::move(handler);
}

const IqHandler* ModuleHost::find_iq(IqTarget target, std::string_view type, std::string_view xmlns) const {
    auto it = iq_handlers_.find(Key{target, std::string(type), std::string(xmlns)});
    return it == iq_handlers_.end() ? nullptr : &it->second;
}

void ModuleHost::add_feature(IqTarget target, std::string var) {
    auto& list = features_[target];
    if (std::find(list.begin(), list.end(), var) == list.end()) list.push_back(std::move(var));
}

void ModuleHost::add_identity(IqTarget target, DiscoIdentity identity) {
    identities_[target].push_back(std::move(identity));
}

bool ModuleHost::is_info_node(IqTarget target, std::string_view node) const {
    auto it = info_nodes_.find(target);
    return it != info_nodes_.end() && std::find(it->second.begin(), it->second.end(), node) != it->second.end();
}

void ModuleHost::add_service_domain(ServiceDomain service) {
    if (find_service_domain(service.domain))
        throw std::logic_error("service domain " + service.domain + " registered twice");
    service_domains_.push_back(std::move(service));
}

const ServiceDomain* ModuleHost::find_service_domain(std::string_view domain) const {
    for (const auto& service : service_domains_)
        if (service.domain == domain) return &service;
    return nullptr;
}

std::vector<const ServiceDomain*> ModuleHost::service_domains_of(std::string_view host) const {
    std::vector<const ServiceDomain*> out;
    for (const auto& service : service_domains_)
        if (service.host == host) out.push_back(&service);
    return out;
}

const std::vector<std::string>& ModuleHost::features(IqTarget target) const {
    static const std::vector<std::string> none;
    auto it = features_.find(target);
    return it == features_.end() ? none : it->second;
}

const std::vector<DiscoIdentity>& ModuleHost::identities(IqTarget target) const {
    static const std::vector<DiscoIdentity> none;
    auto it = identities_.find(target);
    return it == identities_.end() ? none : it->second;
}

xmpp::Element ModuleHost::disco_info(IqTarget target) const {
    const std::string ns(xmpp::ns::disco_info);
    xmpp::Element query("query", ns);
    for (const auto& id : identities(target)) {
        auto& identity = query.add_child(xmpp::Element("identity", ns));
        identity.set_attr("category", id.category);
        identity.set_attr("type", id.type);
        if (!id.name.empty()) identity.set_attr("name", id.name);
    }
    for (const auto& var : features(target)) query.add_child(xmpp::Element("feature", ns)).set_attr("var", var);
    if (auto forms = info_forms_.find(target); forms != info_forms_.end())
        for (const auto& form : forms->second) query.add_child(form);
    return query;
}

xmpp::Element make_iq_result(const IqRequest& request) {
    xmpp::Element result("iq", std::string(xmpp::ns::client));
    result.set_attr("type", "result");
    if (auto id = request.iq.attr("id")) result.set_attr("id", *id);
    result.set_attr("from", request.to.full());
    result.set_attr("to", request.from.full());
    return result;
}

}  // namespace server
