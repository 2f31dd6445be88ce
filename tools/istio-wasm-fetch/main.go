// Command istio-wasm-fetch reads a Wasm module out of an OCI image the way Istio's
// WasmPlugin image fetcher does, with the library that fetcher uses
// (go-containerregistry), so the tests can show that the images scripts/oci-image.sh
// pushes are ones Istio reads. It follows the rules of Istio's pkg/wasm/imagefetcher.go
// (PrepareFetch): a Docker manifest's last layer must be a gzipped tar holding plugin.wasm;
// an OCI manifest is read as the compat variant (last layer
// application/vnd.oci.image.layer.v1.tar+gzip holding plugin.wasm), or else as the oci
// variant (exactly two layers, one of media type
// application/vnd.module.wasm.content.layer.v1+wasm, whose blob is the raw module).
//
//	istio-wasm-fetch REGISTRY/REPOSITORY:TAG OUT_FILE
//
// The registry is spoken to over plain HTTP (a local test registry). On success it writes
// the module to OUT_FILE and prints "<variant> <manifest digest>"; otherwise it exits 1
// with the reasons on standard error.
package main

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const wasmLayerType = types.MediaType("application/vnd.module.wasm.content.layer.v1+wasm")

// pluginWasm returns plugin.wasm from the last layer, which must be a gzipped tar of type want.
func pluginWasm(img v1.Image, want types.MediaType) ([]byte, error) {
	layers, err := img.Layers()
	if err != nil {
		return nil, err
	}
	if len(layers) == 0 {
		return nil, errors.New("number of layers must be greater than zero")
	}
	last := layers[len(layers)-1]
	mediaType, err := last.MediaType()
	if err != nil {
		return nil, err
	}
	if mediaType != want {
		return nil, fmt.Errorf("invalid media type %s (expect %s)", mediaType, want)
	}
	compressed, err := last.Compressed()
	if err != nil {
		return nil, err
	}
	defer compressed.Close()
	unzipped, err := gzip.NewReader(compressed)
	if err != nil {
		return nil, fmt.Errorf("layer is not gzip: %v", err)
	}
	archive := tar.NewReader(unzipped)
	for {
		header, err := archive.Next()
		if err == io.EOF {
			return nil, errors.New("plugin.wasm not found in the archive")
		}
		if err != nil {
			return nil, err
		}
		if path.Base(header.Name) == "plugin.wasm" {
			return io.ReadAll(archive)
		}
	}
}

// wasmLayer returns the raw module of the oci variant.
func wasmLayer(img v1.Image) ([]byte, error) {
	layers, err := img.Layers()
	if err != nil {
		return nil, err
	}
	if len(layers) != 2 {
		return nil, fmt.Errorf("number of layers must be 2 but got %d", len(layers))
	}
	for _, layer := range layers {
		mediaType, err := layer.MediaType()
		if err != nil {
			return nil, err
		}
		if mediaType != wasmLayerType {
			continue
		}
		// The layer is not compressed: its blob is the module.
		blob, err := layer.Compressed()
		if err != nil {
			return nil, err
		}
		defer blob.Close()
		return io.ReadAll(blob)
	}
	return nil, fmt.Errorf("could not find the layer of type %s", wasmLayerType)
}

func fetch(reference string) (variant string, digest v1.Hash, module []byte, err error) {
	ref, err := name.ParseReference(reference, name.Insecure)
	if err != nil {
		return "", v1.Hash{}, nil, err
	}
	descriptor, err := remote.Get(ref)
	if err != nil {
		return "", v1.Hash{}, nil, fmt.Errorf("could not fetch manifest: %v", err)
	}
	img, err := descriptor.Image()
	if err != nil {
		return "", v1.Hash{}, nil, fmt.Errorf("could not fetch image: %v", err)
	}
	if digest, err = img.Digest(); err != nil {
		return "", v1.Hash{}, nil, err
	}
	manifest, err := img.Manifest()
	if err != nil {
		return "", v1.Hash{}, nil, err
	}
	if manifest.MediaType == types.DockerManifestSchema2 {
		module, err = pluginWasm(img, types.DockerLayer)
		return "docker", digest, module, err
	}
	module, errCompat := pluginWasm(img, types.OCILayer)
	if errCompat == nil {
		return "compat", digest, module, nil
	}
	module, errOCI := wasmLayer(img)
	if errOCI == nil {
		return "oci", digest, module, nil
	}
	return "", digest, nil, fmt.Errorf("not an image Istio can read: compat: %v; oci: %v", errCompat, errOCI)
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: istio-wasm-fetch REGISTRY/REPOSITORY:TAG OUT_FILE")
		os.Exit(2)
	}
	variant, digest, module, err := fetch(os.Args[1])
	if err != nil {
		fmt.Fprintf(os.Stderr, "istio-wasm-fetch: %v\n", err)
		os.Exit(1)
	}
	if err := os.WriteFile(os.Args[2], module, 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "istio-wasm-fetch: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%s %s\n", variant, digest)
}
