package bot

// The chart of /chart: people waiting and in teams per project, as a PNG
// drawn by gonum/plot with its embedded fonts (no network, no files).
//
// A count of one or two people must not show, in the picture any more than
// in text: such a bar is drawn with no length at all, like a zero, and
// labelled "<3"; every other bar carries its number, or its range ("8–9")
// when some of its people are in cells of one or two (coord_counts.go),
// drawn at the least it may be. Bars of 0 and of "<3" thus differ only by
// their label, and 1 and 2 are drawn alike.

import (
	"bytes"
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// chartRow is one project of the chart.
type chartRow struct {
	Name             string // the project's name in the coordinator's language
	Waiting, InTeams cell
}

// chartTexts are the chart's words in the coordinator's language.
type chartTexts struct {
	Title, Waiting, InTeams, Axis string
}

// The chart's colours: the queue in amber, the teams in green.
var (
	waitingColor = color.RGBA{R: 0xe0, G: 0x8e, B: 0x0b, A: 0xff}
	inTeamsColor = color.RGBA{R: 0x2e, G: 0x7d, B: 0x32, A: 0xff}
)

// chartDPI is the resolution the chart is drawn at; its size is in points.
const chartDPI = 96

// chartLength is how long a bar of c people is drawn: not at all for one or
// two, so that the picture never tells them apart, and as the least it may
// be for a range (see cell.shown).
func chartLength(c cell) float64 {
	return float64(c.shown())
}

// renderChart draws rows (at least one) as horizontal bars, two per
// project, and returns the PNG.
func renderChart(t chartTexts, rows []chartRow) ([]byte, error) {
	if len(rows) == 0 {
		return nil, fmt.Errorf("chart: no rows")
	}
	p := plot.New()
	p.Title.Text = t.Title
	p.Title.Padding = vg.Points(8)
	p.X.Label.Text = t.Axis
	p.X.Min = 0
	p.Legend.Top = true
	p.Add(plotter.NewGrid())

	// NominalY puts the first name at the bottom: reverse, so that the
	// projects read top-down in the catalogue's order.
	names := make([]string, len(rows))
	waiting := make(plotter.Values, len(rows))
	inTeams := make(plotter.Values, len(rows))
	var wl, tl plotter.XYLabels
	biggest := 0.0
	for i, r := range rows {
		at := len(rows) - 1 - i
		names[at] = r.Name
		waiting[at], inTeams[at] = chartLength(r.Waiting), chartLength(r.InTeams)
		biggest = max(biggest, waiting[at], inTeams[at])
		wl.XYs = append(wl.XYs, plotter.XY{X: waiting[at], Y: float64(at)})
		wl.Labels = append(wl.Labels, r.Waiting.String())
		tl.XYs = append(tl.XYs, plotter.XY{X: inTeams[at], Y: float64(at)})
		tl.Labels = append(tl.Labels, r.InTeams.String())
	}
	// Room right of the longest bar for its label and for the legend, and
	// a scale even when every bar is empty.
	p.X.Max = max(5, biggest*1.45)

	const barWidth = vg.Length(12)
	for _, s := range []struct {
		values plotter.Values
		labels plotter.XYLabels
		color  color.Color
		name   string
		offset vg.Length
	}{
		{waiting, wl, waitingColor, t.Waiting, barWidth / 2},
		{inTeams, tl, inTeamsColor, t.InTeams, -barWidth / 2},
	} {
		bars, err := plotter.NewBarChart(s.values, barWidth)
		if err != nil {
			return nil, fmt.Errorf("chart: %w", err)
		}
		bars.Horizontal = true
		bars.Color = s.color
		bars.LineStyle.Width = 0
		bars.Offset = s.offset
		labels, err := plotter.NewLabels(s.labels)
		if err != nil {
			return nil, fmt.Errorf("chart: %w", err)
		}
		for i := range labels.TextStyle {
			labels.TextStyle[i].YAlign = text.YCenter
			labels.TextStyle[i].Font.Size = vg.Points(9)
		}
		labels.Offset = vg.Point{X: vg.Points(4), Y: s.offset}
		p.Add(bars, labels)
		p.Legend.Add(s.name, bars)
	}
	p.NominalY(names...)

	width := 10 * vg.Inch
	height := vg.Length(1.4)*vg.Inch + vg.Length(len(rows))*vg.Points(34)
	c := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(chartDPI), vgimg.UseBackgroundColor(color.White))
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("chart: encode png: %w", err)
	}
	return buf.Bytes(), nil
}
