package file

import (
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/loupe-dev/loupe/api/flow"
)

// mask is a compiled field mask: a tree of the fields to keep.
type mask map[protoreflect.FieldNumber]mask

// compileMask builds the tree of paths that fieldmaskpb validated. Nil
// keeps everything.
func compileMask(paths []string) mask {
	if len(paths) == 0 {
		return nil
	}
	root := mask{}
	desc := (&flow.Flow{}).ProtoReflect().Descriptor()
	for _, p := range paths {
		node, md := root, desc
		for _, name := range strings.Split(p, ".") {
			fd := md.Fields().ByName(protoreflect.Name(name))
			if fd == nil {
				break // fieldmaskpb.New refused it already
			}
			next, ok := node[fd.Number()]
			if !ok || next == nil {
				next = mask{}
				node[fd.Number()] = next
			}
			node = next
			if fd.Message() == nil {
				break
			}
			md = fd.Message()
		}
	}
	return root
}

// apply returns a new flow holding only the masked fields of f. f is
// shared with the flow ring and is never written; the copy shares its
// leaf values, which is fine as it only lives to be marshalled.
func (m mask) apply(f *flow.Flow) *flow.Flow {
	if m == nil {
		return f
	}
	out := &flow.Flow{}
	copyMasked(m, f.ProtoReflect(), out.ProtoReflect())
	return out
}

func copyMasked(m mask, src, dst protoreflect.Message) {
	fields := src.Descriptor().Fields()
	for num, sub := range m {
		fd := fields.ByNumber(num)
		if fd == nil || !src.Has(fd) {
			continue
		}
		if len(sub) == 0 || fd.Message() == nil || fd.IsList() || fd.IsMap() {
			dst.Set(fd, src.Get(fd))
			continue
		}
		child := dst.Mutable(fd).Message()
		copyMasked(sub, src.Get(fd).Message(), child)
		if isEmpty(child) {
			dst.Clear(fd)
		}
	}
}

func isEmpty(m protoreflect.Message) bool { return proto.Size(m.Interface()) == 0 }
