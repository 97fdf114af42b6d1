"""Reports: study data, Pareto analysis, Plotly HTML pages."""
