# Ends the current call through callctl: .\end-call.ps1 [-Port 5678] [-Token TOKEN]
param([int]$Port = 5678, [string]$Token)
Import-Module (Join-Path $PSScriptRoot 'CallControl.psd1') -Force
Stop-Call -Port $Port -Token $Token
