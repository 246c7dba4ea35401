// libcni-driver: the smallest runtime over libcni for the full-chain bench. It loads a conflist
// by network name and runs libcni's AddNetworkList or DelNetworkList on one namespace, exactly
// as the runtimes built on libcni do (podman 4, containerd's go-cni, CRI-O): libcni chains
// the plugins, injects name, cniVersion, prevResult and runtimeConfig, and caches the result.
//
//	NETCONFPATH=DIR CNI_PATH=DIRS [CAP_ARGS=JSON] [CNI_IFNAME=eth0] libcni-driver add|del NETWORK NETNS
//
// The container ID is derived from the namespace path, so a DEL finds what its ADD made.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/containernetworking/cni/libcni"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "libcni-driver: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 4 || (os.Args[1] != "add" && os.Args[1] != "del") {
		fail("usage: libcni-driver add|del NETWORK NETNS")
	}
	command, network, netns := os.Args[1], os.Args[2], os.Args[3]

	list, err := libcni.LoadConfList(os.Getenv("NETCONFPATH"), network)
	if err != nil {
		fail("loading network %s: %v", network, err)
	}
	capabilities := map[string]interface{}{}
	if text := os.Getenv("CAP_ARGS"); text != "" {
		if err := json.Unmarshal([]byte(text), &capabilities); err != nil {
			fail("CAP_ARGS is not a JSON object: %v", err)
		}
	}
	ifname := os.Getenv("CNI_IFNAME")
	if ifname == "" {
		ifname = "eth0"
	}
	digest := sha256.Sum256([]byte(netns))
	runtime := &libcni.RuntimeConf{
		ContainerID:    "bench-" + hex.EncodeToString(digest[:10]),
		NetNS:          netns,
		IfName:         ifname,
		CapabilityArgs: capabilities,
	}
	cni := libcni.NewCNIConfig(filepath.SplitList(os.Getenv("CNI_PATH")), nil)

	ctx := context.Background()
	if command == "del" {
		if err := cni.DelNetworkList(ctx, list, runtime); err != nil {
			fail("DEL: %v", err)
		}
		return
	}
	result, err := cni.AddNetworkList(ctx, list, runtime)
	if err != nil {
		fail("ADD: %v", err)
	}
	if err := result.Print(); err != nil {
		fail("printing the result: %v", err)
	}
}
