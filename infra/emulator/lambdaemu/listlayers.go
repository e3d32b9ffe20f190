package lambdaemu

import (
	"net/http"
	"sort"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
)

// layerListItem is one entry of ListLayers: a layer and its newest version.
type layerListItem struct {
	LayerName             string
	LayerArn              string
	LatestMatchingVersion layerVersionOut
}

// listLayers lists this account's layers, by name, 50 a page, each with its
// newest version, as ListLayers does (the runtime and architecture filters
// are not modelled).
func (s *Service) listLayers(rc *reqCtx) (int, any, *awsproto.Error) {
	var own []*layer
	for _, l := range s.layers {
		if l.Account == s.env.Account && len(l.Versions) > 0 {
			own = append(own, l)
		}
	}
	sort.Slice(own, func(i, j int) bool { return own[i].Name < own[j].Name })
	start, end, next, err := page(len(own), rc.query.Get("Marker"), rc.query.Get("MaxItems"))
	if err != nil {
		return 0, nil, err
	}
	out := make([]layerListItem, 0, end-start)
	for _, l := range own[start:end] {
		newest := l.Versions[len(l.Versions)-1]
		out = append(out, layerListItem{LayerName: l.Name, LayerArn: l.Arn, LatestMatchingVersion: s.layerVersionOut(rc, l, newest, false)})
	}
	resp := map[string]any{"Layers": out}
	if next != "" {
		resp["NextMarker"] = next
	}
	return http.StatusOK, resp, nil
}
