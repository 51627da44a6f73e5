@{
    RootModule        = 'CallControl.psm1'
    ModuleVersion     = '0.1.0'
    GUID              = '6f2c3f0e-6a54-4c1b-9d0e-3d7a9b5c2e41'
    Author            = 'callctl'
    Description       = 'Make, answer and end calls through the local callctl listener.'
    PowerShellVersion = '5.1'
    CompatiblePSEditions = @('Desktop', 'Core')
    FunctionsToExport = @(
        'Start-Call', 'Confirm-Call', 'Stop-Call', 'Get-CallStatus',
        'Suspend-Call', 'Resume-Call', 'Move-Call', 'Send-CallDtmf', 'Disable-CallMicrophone', 'Enable-CallMicrophone', 'Deny-Call'
    )
    CmdletsToExport   = @()
    VariablesToExport = @()
    AliasesToExport   = @()
}
