#include "xmq/replies.hpp"

#include "xmpp/namespaces.hpp"

namespace xmq {

xmpp::Element iq_result(const xmpp::Element& request, const std::string& to, std::string_view route) {
    xmpp::Element iq("iq", request.xmlns().empty() ? std::string(xmpp::ns::client) : request.xmlns());
    iq.set_attr("type", "result");
    if (const std::string* id = request.attr("id")) iq.set_attr("id", *id);
    iq.set_attr("to", to);
    iq.set_attr("from", std::string(route));
    return iq;
}

std::string_view queue_identity_name(conf::QueueType type) {
    return type == conf::QueueType::all ? "XMQ all queue" : "XMQ any queue";
}

xmpp::Element disco_info_query(conf::QueueType type, const std::string* node) {
    xmpp::Element query("query", std::string(xmpp::ns::disco_info));
    if (node != nullptr) query.set_attr("node", *node);
    xmpp::Element identity("identity", std::string(xmpp::ns::disco_info));
    identity.set_attr("category", "component");
    identity.set_attr("type", "generic");
    identity.set_attr("name", std::string(queue_identity_name(type)));
    query.add_child(std::move(identity));
    for (std::string_view var : {xmpp::ns::disco_info, xmpp::ns::disco_items, xmpp::ns::xmq_command,
                                 xmpp::ns::xmq_topic}) {
        xmpp::Element feature("feature", std::string(xmpp::ns::disco_info));
        feature.set_attr("var", std::string(var));
        query.add_child(std::move(feature));
    }
    return query;
}

xmpp::Element disco_items_query(std::string_view route, const std::vector<TopicInfo>& topics,
                                const std::string* node) {
    xmpp::Element query("query", std::string(xmpp::ns::disco_items));
    if (node != nullptr) query.set_attr("node", *node);
    for (const TopicInfo& topic : topics) {
        xmpp::Element item("item", std::string(xmpp::ns::disco_items));
        item.set_attr("jid", std::string(route));
        item.set_attr("node", topic.name);
        std::string name = topic.name + " (" + std::to_string(topic.eligible) +
                           (topic.eligible == 1 ? " consumer" : " consumers");
        if (topic.kept)
            name += ", " + std::to_string(topic.kept->held) + " held, " + std::to_string(topic.kept->unacked) +
                    " unacked";
        item.set_attr("name", name + ")");
        query.add_child(std::move(item));
    }
    return query;
}

xmpp::Element topic_stats_form(const TopicStats& stats) {
    const std::string ns(xmpp::ns::data_forms);
    xmpp::Element form("x", ns);
    form.set_attr("type", "result");
    auto field = [&](std::string var, std::string value, const char* type) {
        xmpp::Element f("field", ns);
        f.set_attr("var", std::move(var));
        if (type != nullptr) f.set_attr("type", type);
        xmpp::Element v("value", ns);
        v.add_text(std::move(value));
        f.add_child(std::move(v));
        form.add_child(std::move(f));
    };
    field("FORM_TYPE", std::string(xmpp::ns::xmq_stats_form), "hidden");
    field("consumers", std::to_string(stats.consumers), nullptr);
    field("held", std::to_string(stats.held), nullptr);
    field("unacked", std::to_string(stats.unacked), nullptr);
    return form;
}

}  // namespace xmq
