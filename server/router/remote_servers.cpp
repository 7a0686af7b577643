#include "server/router/remote_servers.hpp"

#include "server/core/module_host.hpp"
#include "xmq/engine.hpp"

namespace server {

bool is_local_domain(const Services& services, const conf::Config& config, std::string_view domain) {
    if (config.serves_host(domain) || config.component(domain)) return true;
    if (services.modules && services.modules->find_service_domain(domain)) return true;
    return services.xmq && services.xmq->is_route(domain);
}

}  // namespace server
