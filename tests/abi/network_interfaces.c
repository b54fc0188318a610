/* The loopback interface as getifaddrs(3) and if_nameindex(3) see it
 * through route netlink sockets, and a netlink request made by hand. Only
 * `lo` and its IPv4 address are printed: the host may have other
 * interfaces, and IPv6 may be off on it, while the sandbox's network is
 * its own loopback. */
#include "abi.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

static void print_loopback_entries(void) {
  struct ifaddrs* list = NULL;
  if (CALL(getifaddrs(&list)) < 0) {
    return;
  }
  for (struct ifaddrs* entry = list; entry != NULL; entry = entry->ifa_next) {
    if (strcmp(entry->ifa_name, "lo") != 0 || entry->ifa_addr == NULL) {
      continue;
    }
    const unsigned flags = entry->ifa_flags & (IFF_UP | IFF_LOOPBACK | IFF_RUNNING);
    if (entry->ifa_addr->sa_family == AF_PACKET) {
      const struct sockaddr_ll* link = (const struct sockaddr_ll*)entry->ifa_addr;
      printf("lo link: flags %#x index %d hardware type %u address length %u\n", flags,
             link->sll_ifindex, link->sll_hatype, link->sll_halen);
    } else if (entry->ifa_addr->sa_family == AF_INET) {
      char address[INET_ADDRSTRLEN];
      char netmask[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, &((const struct sockaddr_in*)entry->ifa_addr)->sin_addr, address,
                sizeof(address));
      inet_ntop(AF_INET, &((const struct sockaddr_in*)entry->ifa_netmask)->sin_addr, netmask,
                sizeof(netmask));
      printf("lo IPv4: flags %#x address %s netmask %s\n", flags, address, netmask);
    }
  }
  freeifaddrs(list);
}

static void print_loopback_index(void) {
  struct if_nameindex* names = if_nameindex();
  if (names == NULL) {
    printf("if_nameindex failed: %s\n", strerrorname_np(errno));
    return;
  }
  for (struct if_nameindex* name = names; name->if_index != 0; ++name) {
    if (strcmp(name->if_name, "lo") == 0) {
      printf("if_nameindex: lo has index %u\n", name->if_index);
    }
  }
  if_freenameindex(names);
}

/* Asks for one link by index and prints the reply's type, or the error
 * of an NLMSG_ERROR reply. */
static void request_link(int socket_descriptor, int index, unsigned sequence) {
  struct {
    struct nlmsghdr header;
    struct ifinfomsg link;
  } request = {0};
  request.header.nlmsg_len = sizeof(request);
  request.header.nlmsg_type = RTM_GETLINK;
  request.header.nlmsg_flags = NLM_F_REQUEST;
  request.header.nlmsg_seq = sequence;
  request.link.ifi_family = AF_UNSPEC;
  request.link.ifi_index = index;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(socket_descriptor, &request, sizeof(request), 0, (struct sockaddr*)&kernel,
             sizeof(kernel)) != (ssize_t)sizeof(request)) {
    printf("sendto failed: %s\n", strerrorname_np(errno));
    return;
  }

  char reply[8192];
  struct sockaddr_nl source = {0};
  socklen_t source_length = sizeof(source);
  ssize_t length = recvfrom(socket_descriptor, reply, sizeof(reply), 0, (struct sockaddr*)&source,
                            &source_length);
  if (length < (ssize_t)sizeof(struct nlmsghdr)) {
    printf("recvfrom -> %zd %s\n", length, strerrorname_np(errno));
    return;
  }
  const struct nlmsghdr* header = (const struct nlmsghdr*)reply;
  printf("link %d: reply from port %u, sequence matches: %s, ", index, source.nl_pid,
         header->nlmsg_seq == sequence ? "yes" : "no");
  if (header->nlmsg_type == NLMSG_ERROR) {
    const struct nlmsgerr* error = NLMSG_DATA(header);
    printf("error %s\n", strerrorname_np(-error->error));
  } else if (header->nlmsg_type == RTM_NEWLINK) {
    const struct ifinfomsg* link = NLMSG_DATA(header);
    printf("RTM_NEWLINK for index %d\n", link->ifi_index);
  } else {
    printf("type %u\n", header->nlmsg_type);
  }
}

static void exchange_by_hand(void) {
  int socket_descriptor = (int)CALL(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (socket_descriptor < 0) {
    return;
  }
  struct sockaddr_nl name = {.nl_family = AF_NETLINK};
  CALL(bind(socket_descriptor, (struct sockaddr*)&name, sizeof(name)));
  socklen_t name_length = sizeof(name);
  CALL(getsockname(socket_descriptor, (struct sockaddr*)&name, &name_length));
  FACT("the port id is the process id", name.nl_pid == (unsigned)getpid());
  printf("name length %u family %u\n", name_length, name.nl_family);

  int value = 0;
  socklen_t value_length = sizeof(value);
  CALL(getsockopt(socket_descriptor, SOL_SOCKET, SO_DOMAIN, &value, &value_length));
  printf("SO_DOMAIN %d\n", value);
  CALL(getsockopt(socket_descriptor, SOL_SOCKET, SO_PROTOCOL, &value, &value_length));
  printf("SO_PROTOCOL %d\n", value);

  request_link(socket_descriptor, 1, 7);
  request_link(socket_descriptor, 100000, 8);

  char byte;
  CALL(recv(socket_descriptor, &byte, 1, MSG_DONTWAIT));
  CALL(close(socket_descriptor));
  CALL(socket(AF_NETLINK, SOCK_STREAM, NETLINK_ROUTE));
}

/* The interface requests of ioctl(2), which any socket accepts. */
static void query_by_ioctl(int domain, const char* label) {
  int socket_descriptor = socket(domain, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (socket_descriptor < 0) {
    printf("%s: socket failed: %s\n", label, strerrorname_np(errno));
    return;
  }
  printf("%s:\n", label);
  struct ifreq request = {0};
  strcpy(request.ifr_name, "lo");
  if (CALL(ioctl(socket_descriptor, SIOCGIFINDEX, &request)) == 0) {
    printf("  index %d\n", request.ifr_ifindex);
  }
  if (CALL(ioctl(socket_descriptor, SIOCGIFFLAGS, &request)) == 0) {
    printf("  flags %#x\n", (unsigned)(request.ifr_flags & (IFF_UP | IFF_LOOPBACK | IFF_RUNNING)));
  }
  if (CALL(ioctl(socket_descriptor, SIOCGIFMTU, &request)) == 0) {
    printf("  mtu %d\n", request.ifr_mtu);
  }
  if (CALL(ioctl(socket_descriptor, SIOCGIFHWADDR, &request)) == 0) {
    printf("  hardware family %u\n", request.ifr_hwaddr.sa_family);
  }
  if (domain == AF_INET && CALL(ioctl(socket_descriptor, SIOCGIFADDR, &request)) == 0) {
    printf("  address %s\n", inet_ntoa(((struct sockaddr_in*)&request.ifr_addr)->sin_addr));
  }
  if (domain == AF_INET && CALL(ioctl(socket_descriptor, SIOCGIFNETMASK, &request)) == 0) {
    printf("  netmask %s\n", inet_ntoa(((struct sockaddr_in*)&request.ifr_netmask)->sin_addr));
  }
  request.ifr_ifindex = 1;
  if (CALL(ioctl(socket_descriptor, SIOCGIFNAME, &request)) == 0) {
    printf("  name of index 1: %s\n", request.ifr_name);
  }
  strcpy(request.ifr_name, "missing0");
  CALL(ioctl(socket_descriptor, SIOCGIFINDEX, &request));

  /* SIOCGIFCONF lists the IPv4 address of each interface. */
  struct ifreq entries[16];
  struct ifconf list = {.ifc_len = sizeof(entries), .ifc_req = entries};
  if (CALL(ioctl(socket_descriptor, SIOCGIFCONF, &list)) == 0) {
    for (size_t index = 0; index < list.ifc_len / sizeof(struct ifreq); ++index) {
      if (strcmp(entries[index].ifr_name, "lo") == 0) {
        printf("  listed: lo %s\n",
               inet_ntoa(((struct sockaddr_in*)&entries[index].ifr_addr)->sin_addr));
      }
    }
  }
  close(socket_descriptor);
}

int main(void) {
  print_loopback_entries();
  print_loopback_index();
  printf("if_nametoindex(\"lo\") = %u\n", if_nametoindex("lo"));
  char name[IF_NAMESIZE] = "";
  printf("if_indextoname(1) = %s\n", if_indextoname(1, name) != NULL ? name : "(none)");
  query_by_ioctl(AF_UNIX, "AF_UNIX socket");
  query_by_ioctl(AF_INET, "AF_INET socket");
  exchange_by_hand();
  return 0;
}
