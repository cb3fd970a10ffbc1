"""Transform stage: XML parsed safely, ISO/FGDC crosswalked to DCAT-US, fix-ups and normalisation."""
